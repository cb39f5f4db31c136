"""Grad mode: whether operations record graph nodes.

One flag per thread, read by `Function.apply` on every op. Context managers and
decorators flip it, the same way `torch.no_grad` does. As in PyTorch the flag is
thread-local: a `no_grad` block in one thread never stops another thread from recording
its graph, and every new thread starts with grad mode on.
"""
import functools
import threading

__all__ = ["is_grad_enabled", "set_grad_enabled", "no_grad", "enable_grad"]


class _State(threading.local):
    # class attributes are each new thread's starting values
    grad_enabled = True
    anomaly = False  # set by autograd.detect_anomaly
    inference = False  # inside inference_mode
    batch_dims = 0   # leading batch dims on every gradient, during a batched walk (engine)


STATE = _State()


def is_grad_enabled():
    return STATE.grad_enabled


class set_grad_enabled:
    """Context manager / decorator / plain call that sets grad mode."""

    def __init__(self, mode=True):
        self.prev = STATE.grad_enabled
        self.mode = bool(mode)
        STATE.grad_enabled = self.mode  # like torch: calling it as a function takes effect

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode
        STATE.grad_enabled = self.prev  # used as a decorator: undo the effect of __init__

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class _GradModeContext:
    mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments")
        return cls()(orig_func)  # the bare decorator `@tl.no_grad`, as PyTorch allows

    def __enter__(self):
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording: `with tl.no_grad(): w -= lr * w.grad`."""
    mode = False


class enable_grad(_GradModeContext):
    """Re-enable graph recording inside a `no_grad` block."""
    mode = True


class inference_mode(_GradModeContext):
    """torch.inference_mode: `with tl.inference_mode():` or `@tl.inference_mode()` records
    nothing, as no_grad (tinygrad_lr has no separate inference tensors, so this is all it
    does); `inference_mode(False)` leaves grad mode as it is."""

    def __new__(cls, mode=True):
        if callable(mode):  # the bare decorator `@tl.inference_mode`
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.enabled = bool(mode)

    def __enter__(self):
        self.prev = STATE.grad_enabled, STATE.inference
        if self.enabled:
            STATE.grad_enabled, STATE.inference = False, True
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled, STATE.inference = self.prev
        return False

    def __call__(self, fn):
        enabled = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(enabled):
                return fn(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled():
    return STATE.inference
