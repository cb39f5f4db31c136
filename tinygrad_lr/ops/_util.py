"""Small helpers shared by the op files."""
import numpy as np


def arr(x):
    """The array behind a Tensor, or the Python/numpy scalar itself."""
    return x if isinstance(x, (int, float)) else x._data


def as_tensors(like, *arrays):
    """Gradients computed on arrays (by a kernel) as the Function contract wants them:
    tensors of the same class as `like`, None staying None."""
    return tuple(None if a is None else like._make(a) for a in arrays)


def unbroadcast(g, shape):
    """Sum a gradient back to the shape of an input that was broadcast in forward.

    Written with Tensor ops so that it is differentiable too (create_graph).
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = g.sum(dim=axes, keepdim=True)
    return g.reshape(shape)


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
            values = np.asarray(part)
            if values.size:
                low, high = values.min(), values.max()
                if low < -shape[dim] or high >= shape[dim]:
                    bad = int(low if low < -shape[dim] else high)
                    raise IndexError(f"index {bad} is out of bounds for dimension {dim} with "
                                     f"size {shape[dim]} (tensor of shape {shape})")
        dim += n
    # a mask takes part as the 1-D array of its True positions
    arrays = [(int(part.sum()),) if part.dtype == np.bool_ else part.shape
              for part in parts if isinstance(part, np.ndarray)]
    try:
        np.broadcast_shapes(*arrays)
    except ValueError:
        raise IndexError(f"index: shape mismatch: indexing tensors could not be broadcast "
                         f"together with shapes {', '.join(map(str, arrays))} (indexing a "
                         f"tensor of shape {shape})") from None
    return idx
