"""How every kernel in kernels/ is compiled and how many threads it uses: the one place.

The policy: **kernels run on the calling thread** (`parallel=False`), and the matrix
products around them stay on numpy's BLAS with BLAS's own threads (numpy's default: one per
core; OPENBLAS_NUM_THREADS changes it). The one exception is the optimizer update, which
has a parallel twin for large parameters on a machine with a free core (below).

Why serial. On a laptop-sized CPU (2 cores here) a training step alternates Numba kernels
and BLAS products many times. A `prange` region wakes Numba's OpenMP threads, which keep
spinning for a while after the region ends; the next product wakes BLAS's threads, and the
two pools then fight for the same cores: in a LeNet training step the parallel pooling and
im2col kernels took several times longer per call than the same kernels alone. And when
another process holds one core, a parallel region waits at every barrier for its
descheduled thread. A serial kernel has no barrier and no spinning pool, so its cost stays
what its arithmetic and memory traffic say, on a quiet machine or a busy one. The kernels
are memory-bound loops that take a millisecond or less at the sizes users train on a
laptop, where a second core gains little anyway. The measurements are in
benchmarks/README.md (the kernels-vs-numpy table and the busy-machine table).

Why the optimizer exception. An update of a large parameter (a 1M-element embedding) is a
long, pure streaming loop with nothing around it: on an idle machine the second core halves
it from ~2**18 elements on, while below that waking the pool costs more than it saves. On a
loaded machine the same parallel update waits at its barrier for a descheduled thread and
takes far longer than the serial loop (benchmarks/README.md), so the twin runs only while
the 1-minute load average leaves a core free (`core_free`; where the OS reports no load,
never).

Use `jit` for every Numba kernel and `jit_with_parallel_twin` for the optimizer
updates; both compile lazily (first call) with `cache=True`, and with NUMBA_DISABLE_JIT=1
they are the plain Python functions. Both compile with numpy's error model: a float
division by zero gives inf or NaN, as in numpy, instead of Numba's default Python
semantics (raise ZeroDivisionError), whose check on every division keeps LLVM from
vectorizing any loop that divides (the Adam update ran many times slower with it).
"""
import os
import types

import numba

# Below this many elements a serial loop is faster than waking the thread pool, once the
# BLAS threads of the surrounding training step are counted.
PARALLEL_MIN = 1 << 18


def jit(fn=None, *, fastmath=False):
    """Compile `fn` as a serial, cached Numba kernel (the policy above).

    `fastmath` is passed on; kernels use at most {"reassoc", "contract"} (sums in SIMD,
    fused multiply-add), which keeps NaN and Inf meaning what IEEE says.
    """
    if fn is None:
        return lambda f: jit(f, fastmath=fastmath)
    return numba.njit(cache=True, fastmath=fastmath, error_model="numpy")(fn)


def jit_with_parallel_twin(fn):
    """Compile `fn` twice: serial, and parallel (its `numba.prange` loops split over the
    threads). Returns (serial, parallel): callers use the parallel one for arrays of at
    least PARALLEL_MIN elements."""
    serial = numba.njit(cache=True, error_model="numpy")(fn)
    # a renamed copy, so that the on-disk caches of the two compilations do not collide
    twin = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_parallel")
    twin.__qualname__ = fn.__qualname__ + "_parallel"
    parallel = numba.njit(cache=True, parallel=True, error_model="numpy")(twin)
    return serial, parallel



def core_free() -> bool:
    """True when the 1-minute load average leaves at least one core idle."""
    if not hasattr(os, "getloadavg"):  # e.g. Windows: no cheap way to know, stay serial
        return False
    return os.getloadavg()[0] <= (os.cpu_count() or 1) - 1
