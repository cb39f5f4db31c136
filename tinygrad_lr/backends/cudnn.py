"""`tl.backends.cudnn`: cuDNN's switches. There is no cuDNN; scripts may set these
(`cudnn.benchmark = True`, `cudnn.deterministic = True`) and nothing changes."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    """None: cuDNN is not there (PyTorch without CUDA answers the same)."""
