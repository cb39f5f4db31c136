"""Keep glibc's malloc from handing a training step's arrays back to the OS between steps.

A training step allocates and frees the same few arrays every time: an LSTM step over a
(32, 32, 256) gate tensor makes half a dozen of 1 MB each. glibc serves arrays of more than
its mmap threshold (128 KB at start) with fresh pages from the OS, and gives free memory at
the top of its heap back once there is more than a trim threshold of it. Each fresh page
costs a page fault when first written, hundreds of them per LSTM step
(`benchmarks/bench_lstm.py`; the numbers are in benchmarks/README.md). glibc raises both
thresholds by itself, up to 32 MB and 64 MB, but only after the program frees one array that
large - which happens sooner or later in most programs (importing PyTorch does it), and
never in a small training loop.

`tune()` sets the two thresholds once, at import: the mmap threshold to the 32 MB glibc
would reach by itself, the trim threshold to TRIM_THRESHOLD. glibc's own adjustment would
stop the trim threshold at 64 MB, but a convolution net's step can free more than that
(PyTorch's MNIST example frees its 42 MB of columns and more each step), and then every step
gave the top of the heap back and faulted it in again (2,500 page faults a step there;
benchmarks/README.md). The peak memory of a step is the same either way; the cost is that
up to TRIM_THRESHOLD of freed memory may stay with the process between steps instead of
going back to the OS. It changes nothing on other C libraries (macOS, Windows, musl), and
nothing when TINYGRAD_LR_MALLOC_TUNING=0 is set in the environment.
"""
import ctypes
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h
MMAP_THRESHOLD = 32 << 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
TRIM_THRESHOLD = 512 << 20  # freed memory a process keeps at the top of its heap


def tune():
    """Set glibc's mmap and trim thresholds (see the module docstring); True if it did."""
    if os.environ.get("TINYGRAD_LR_MALLOC_TUNING", "1") == "0":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)  # the running process's symbols, glibc's among them
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                    and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):  # no libc to load, or one without mallopt
        return False
