"""Embedding's backward: each output row's gradient added into the weight row it was read
from (repeated indices accumulate). numpy's unbuffered `np.add.at` does this one element
at a time through a generic ufunc loop; the kernel is one pass over the rows."""
import numpy as np

from . import runs_reference
from .threading_policy import jit


@jit
def _add_rows(indices, g, out):
    for r in range(indices.shape[0]):
        dst = out[indices[r]]
        src = g[r]
        for j in range(g.shape[1]):
            dst[j] += src[j]


def embedding_backward_reference(g, indices, num_rows):
    """out[indices[r]] += g[r] for every row r, with numpy's unbuffered add."""
    out = np.zeros((num_rows,) + g.shape[indices.ndim:], dtype=g.dtype)
    np.add.at(out, indices, g)
    return out


def embedding_backward(g, indices, num_rows):
    """g (*indices.shape, D), int64 indices (any shape, in range) -> (num_rows, D)."""
    if runs_reference(g):
        return embedding_backward_reference(g, indices, num_rows)
    d = g.shape[indices.ndim:]
    out = np.zeros((num_rows,) + d, dtype=g.dtype)
    flat = np.ascontiguousarray(indices).reshape(-1)
    width = int(np.prod(d, dtype=np.int64))
    _add_rows(flat, np.ascontiguousarray(g).reshape(flat.size, width),
              out.reshape(num_rows, width))
    return out
