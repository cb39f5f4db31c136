"""Numba kernels on plain numpy arrays: no Tensor, no autograd.

Each module compiles lazily (first call) with `cache=True`. Each kernel exists because it
beats the numpy expression it replaces; `benchmarks/bench_kernels.py` shows the numbers.
With NUMBA_DISABLE_JIT=1 the same functions run as plain Python, which is how their
meaning is tested.
"""
