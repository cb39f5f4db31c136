"""Small helpers shared by the op files."""
import numpy as np

from ..graph.grad_mode import STATE
from ..graph.tensor_base import TensorBase
from ..kernels.reduce import sum_axes


def arr(x):
    """The array behind a Tensor, or the Python/numpy scalar itself."""
    return x._data if isinstance(x, TensorBase) else x


def operands(a, b):
    """(x, y, (shape of a, shape of b)) of a two-argument op: the arrays of tensors, Python /
    numpy scalars as they are (shape ()). One call for both: it runs on every `x + y`."""
    if isinstance(a, TensorBase):
        x = a._data
        shape_a = x.shape
    else:
        x, shape_a = a, ()
    if isinstance(b, TensorBase):
        y = b._data
        shape_b = y.shape
    else:
        y, shape_b = b, ()
    return x, y, (shape_a, shape_b)


def as_tensors(like, *arrays):
    """Gradients computed on arrays (by a kernel) as the Function contract wants them:
    tensors of the same class as `like`, None staying None."""
    return tuple([None if a is None else like._make(a) for a in arrays])


def on_arrays(*tensors):
    """The arrays of `tensors` when grad mode is off, the tensors themselves when it is on.

    A backward runs with grad mode off unless create_graph=True, and then nothing its
    formula computes is recorded. A formula written with operators that numpy spells the
    same way (`g * b`, `1 - out * out`, `g @ w`, `g.T`, `.sum(0)`) then gives the same
    numbers on the arrays, at numpy's cost instead of a Tensor op's (the dispatch and
    checks of a Tensor op are most of a small network's backward). With create_graph the
    same line runs on tensors and is recorded. Return the results through `gradients`.
    """
    if STATE.grad_enabled:
        return tensors
    # a loop, not a comprehension: no extra frame on every op's backward
    arrays = []
    for t in tensors:
        arrays.append(t._data if isinstance(t, TensorBase) else t)
    return tuple(arrays)


def gradients(like, *results):
    """A backward's results as the Function contract wants them: arrays (from `on_arrays`)
    become tensors of `like`'s class (numpy's 0-d results are scalars: made arrays again);
    tensors and None pass as they are."""
    out = []
    for r in results:  # a loop, not a comprehension, as in on_arrays
        if r.__class__ is np.ndarray:
            r = like._make(r)
        elif r is not None and not isinstance(r, TensorBase):
            r = like._make(np.asarray(r))  # a numpy scalar
        out.append(r)
    return tuple(out)


def batch_shape(g):
    """The leading batch dims of a gradient: () except during a batched walk, where
    jacobian/hessian send a stack of seed vectors back at once (engine.walk's batch_dims).
    Ops with `batched_backward_ok` keep them with this and the helpers below."""
    return g._data.shape[:STATE.batch_dims]


def batch_index(idx):
    """A basic index (slices, ints, None, ...) of an unbatched tensor, for its gradient:
    the leading batch dims are taken whole."""
    batch = (slice(None),) * STATE.batch_dims
    return batch + idx if isinstance(idx, tuple) else batch + (idx,)


def unbroadcast(g, shape):
    """Sum a gradient back to the shape of an input that was broadcast in forward
    (keeping the gradient's batch dims, see `batch_shape`).

    Written with Tensor ops so that it is differentiable too (create_graph); `g` may also
    be an array (see `on_arrays`).
    """
    g_full = g.shape
    if g_full == shape:  # the common case; with batch dims g has more dims
        return g
    nb = STATE.batch_dims
    batch, g_shape = g_full[:nb], g_full[nb:]
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    axes = tuple(range(nb, nb + lead)) + tuple(
        nb + lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1
    )
    if axes:
        g = sum_axes(g, axes, keepdims=True) if isinstance(g, np.ndarray) else \
            g.sum(dim=axes, keepdim=True)
    return g.reshape(batch + shape)


def normalize_dims(dim, ndim, op):
    """dim=None|int|tuple -> a sorted tuple of non-negative axes, with a clear error."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"{op}: dim {d} is out of range for a tensor with {ndim} dimension(s) "
                f"(expected a value in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])"
            )
        out.append(d % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dims} names the same axis twice")
    return tuple(sorted(out)) if ndim else ()


def normalize_dim(dim, ndim, op):
    return normalize_dims(int(dim), ndim, op)[0] if ndim else 0


def keepdim_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _index_dims(part):
    """How many of the tensor's dims one part of an index uses."""
    if part is None or part is Ellipsis or isinstance(part, (bool, np.bool_)):
        return 0
    if isinstance(part, np.ndarray) and part.dtype == np.bool_:
        return part.ndim
    return 1


def check_index(idx, shape):
    """`idx` (ints, slices, None, Ellipsis, integer or boolean arrays) if it fits `shape`;
    otherwise an IndexError in PyTorch's words naming the tensor's shape, before numpy
    raises its own."""
    shape = tuple(shape)
    parts = idx if isinstance(idx, tuple) else (idx,)
    for part in parts:
        ok_array = isinstance(part, np.ndarray) and part.dtype.kind in "biu"
        if not (ok_array or part is None or part is Ellipsis or isinstance(
                part, (slice, int, np.integer, np.bool_))):
            what = f"an array of {part.dtype}" if isinstance(part, np.ndarray) else \
                type(part).__name__
            raise IndexError(f"index: tensors used as indices must be integer or bool "
                             f"tensors, and other indices ints, slices, None or ...; got "
                             f"{what} (indexing a tensor of shape {shape})")
    if sum(part is Ellipsis for part in parts) > 1:
        raise IndexError("index: an index can only have a single ellipsis ('...')")
    used = sum(_index_dims(part) for part in parts)
    if used > len(shape):
        raise IndexError(f"index: too many indices for a tensor of shape {shape}: {used} "
                         f"indexed but it has {len(shape)} dimension(s)")
    dim = 0
    for part in parts:
        if part is Ellipsis:
            dim += len(shape) - used
            continue
        n = _index_dims(part)
        if isinstance(part, np.ndarray) and part.dtype == np.bool_:
            if part.shape != shape[dim:dim + n]:
                raise IndexError(f"index: the shape of the mask {part.shape} at index {dim} "
                                 f"does not match the shape of the indexed tensor {shape}")
        elif n and not isinstance(part, slice):
            # one int (the common t[i]): its bounds in Python; an array: its extremes
            low, high = (part, part) if isinstance(part, (int, np.integer)) else \
                (part.min(), part.max()) if part.size else (-shape[dim], -1)  # empty: fits
            if low < -shape[dim] or high >= shape[dim]:
                bad = int(low if low < -shape[dim] else high)
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with "
                                 f"size {shape[dim]} (tensor of shape {shape})")
        dim += n
    # a mask takes part as the 1-D array of its True positions
    arrays = [(int(part.sum()),) if part.dtype == np.bool_ else part.shape
              for part in parts if isinstance(part, np.ndarray)]
    if len(arrays) < 2:
        return idx  # nothing to broadcast
    try:
        np.broadcast_shapes(*arrays)
    except ValueError:
        raise IndexError(f"index: shape mismatch: indexing tensors could not be broadcast "
                         f"together with shapes {', '.join(map(str, arrays))} (indexing a "
                         f"tensor of shape {shape})") from None
    return idx
