"""Shared test setup: every test starts with grad mode on, anomaly detection off and the
kernel switch as the environment set it (TINYGRAD_LR_REFERENCE), so a test that fails
inside `no_grad()`, `detect_anomaly()` or `use_reference_kernels()` cannot break the tests
after it. Only the public API is used, so the library may move its internals freely.

tests/oracle.py (the PyTorch comparisons) and tests/strategies.py (Hypothesis strategies)
are imported by the test files as `oracle` and `strategies`.
"""
import pytest

import tinygrad_lr as tl
from tinygrad_lr.autograd import detect_anomaly

_REFERENCE_AT_START = tl.reference_kernels_enabled()


@pytest.fixture(autouse=True)
def _fresh_modes():
    tl.set_grad_enabled(True)
    tl.use_reference_kernels(_REFERENCE_AT_START)
    with detect_anomaly(check_nan=False):  # off for this test, whatever the last one left
        yield
    tl.set_grad_enabled(True)
    tl.use_reference_kernels(_REFERENCE_AT_START)


@pytest.fixture
def torch_float32_default():
    """PyTorch's own float32 default for a test (tests/test_layers.py makes float64 the
    session default). A module takes it with
    `pytestmark = pytest.mark.usefixtures("torch_float32_default")`."""
    import torch

    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    yield
    torch.set_default_dtype(old)
