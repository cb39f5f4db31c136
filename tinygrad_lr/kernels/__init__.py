"""Numba kernels on plain numpy arrays: no Tensor, no autograd.

Each module compiles lazily (first call) with `cache=True`, serial, as
`threading_policy.py` says (the one place for how kernels are compiled and threaded). Each
kernel exists because it beats the numpy expression it replaces; `benchmarks/bench_kernels.py`
times every kernel against that expression. With NUMBA_DISABLE_JIT=1 the same functions run
as plain Python, which is how their meaning is tested.

Beside every kernel, in the same module, is its numpy reference (`<name>_reference`): the
formula with no tricks, written to be read. The public entry points run the reference
instead of the kernel when `reference_kernels_enabled()`, and for float16 arrays, which
Numba cannot compile (`runs_reference`); tests/test_kernel_references.py checks kernel ==
reference for each of them, tests/test_half.py the float16 path against PyTorch.

Every fast path has a plain reference: the formula written with numpy (beside the kernel)
or with Tensor ops (beside the fused op). `use_reference_kernels(True)` - or the
environment variable TINYGRAD_LR_REFERENCE=1 at import - makes the library run the
references instead, so a learner can step through the plain version and a test can check
that both give the same values and gradients.
"""
import os
import threading

__all__ = ["use_reference_kernels", "reference_kernels_enabled", "runs_reference"]


class _Switch(threading.local):
    on = os.environ.get("TINYGRAD_LR_REFERENCE", "0") not in ("", "0")


_SWITCH = _Switch()


def reference_kernels_enabled() -> bool:
    """True when the plain reference versions run instead of kernels and fused ops."""
    return _SWITCH.on


def runs_reference(*arrays) -> bool:
    """True when a kernel's entry point runs its numpy reference instead: the references are
    switched on, or one of the arrays is float16, which Numba cannot compile. (numpy then
    computes in float16 itself: a `model.half()` trains, slowly, instead of failing inside
    Numba; PyTorch runs half precision on the CPU too.)"""
    if _SWITCH.on:
        return True
    for a in arrays:  # a loop, not any(<generator>): this runs on every kernel call
        if a is not None and a.dtype.char == "e":
            return True
    return False


class use_reference_kernels:
    """Run the plain references instead of the Numba kernels and fused ops.

    A plain call switches for the rest of the thread (`tl.use_reference_kernels(True)`);
    as a context manager it switches back on exit:

        with tl.use_reference_kernels():
            loss = model(x).sum()   # conv, norms, softmax, RNN cells... in plain numpy/Tensor ops
    """

    def __init__(self, enabled: bool = True):
        self.prev = _SWITCH.on
        _SWITCH.on = bool(enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _SWITCH.on = self.prev
        return False
