"""Embedding's backward: each output row's gradient added into the weight row it was read
from (repeated indices accumulate). numpy's unbuffered `np.add.at` does this one element
at a time through a generic ufunc loop; the kernel is one pass over the rows."""
import math

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
    out = np.zeros((num_rows,) + g.shape[indices.ndim:], dtype=g.dtype)
    add_rows_into(out, indices, g)
    return out


def add_rows_into(out, indices, g):
    """out[indices[r]] += g[r] for every row r, in place (repeated indices accumulate): the
    kernel where out is C-contiguous, numpy's unbuffered add otherwise."""
    if runs_reference(g) or not out.flags.c_contiguous or out.dtype != g.dtype:
        np.add.at(out, indices, g)
        return
    flat = np.ascontiguousarray(indices).reshape(-1)
    width = math.prod(out.shape[1:])
    _add_rows(flat, np.ascontiguousarray(g).reshape(flat.size, width),
              out.reshape(out.shape[0], width))
