"""Shared test setup: every test starts with grad mode on and anomaly detection off, so a
test that fails inside `no_grad()` or `detect_anomaly()` cannot break the tests after it."""
import pytest

from tinygrad_lr.graph.grad_mode import STATE


@pytest.fixture(autouse=True)
def _fresh_grad_mode():
    STATE.grad_enabled, STATE.anomaly = True, False
    yield
    STATE.grad_enabled, STATE.anomaly = True, False
