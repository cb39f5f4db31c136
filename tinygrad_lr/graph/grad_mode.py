"""Grad mode: whether operations record graph nodes.

One flag per thread, read by `Function.apply` on every op. Context managers and
decorators flip it, the same way `torch.no_grad` does. As in PyTorch the flag is
thread-local: a `no_grad` block in one thread never stops another thread from recording
its graph, and every new thread starts with grad mode on.
"""
import functools
import threading


class _State(threading.local):
    # class attributes are each new thread's starting values
    grad_enabled = True
    anomaly = False  # set by autograd.detect_anomaly
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
