"""Hypothesis strategies for the property tests: shapes, shapes that broadcast, reduction
dims, matmul operands, and arrays (or Tensor views) that are not contiguous.

A non-contiguous input is where a kernel that assumes C order, or a backward that forgets
a stride, goes wrong. `arrays(shape)` draws one of LAYOUTS:

    contiguous   plain C order
    transposed   memory in a permuted axis order (x.T, a channels-last image as NCHW)
    strided      every k-th element of a bigger buffer (x[::2, 1::3]); the gaps hold NaN,
                 so a kernel reading past the view is caught
    flipped      negative strides (x[::-1])
    expanded     size-1 dims broadcast with stride 0 (np.broadcast_to): read-only

The values are the same whatever the layout; tests/oracle.py keeps the layout on our side
and gives torch a contiguous copy. `tensor_views(shape)` makes the same kinds of view with
Tensor ops instead (permute, stepped slices, flip, expand), so the view's backward is
checked as well. Keep property tests fast: settings(max_examples=small, deadline=None).
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

LAYOUTS = ("contiguous", "transposed", "strided", "flipped", "expanded")
NONCONTIGUOUS = LAYOUTS[1:]


# ---------------------------------------------------------------- shapes
def shapes(min_dims=0, max_dims=4, min_side=1, max_side=4):
    """Array shapes, 0-d included by default."""
    return array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                        max_side=max_side)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3):
    """A tuple of `num_shapes` shapes that broadcast together (size-1 and missing dims)."""
    return mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                         max_dims=max_dims, max_side=max_side).map(
        lambda s: s.input_shapes)


@st.composite
def shape_and_dims(draw, min_dims=1, max_dims=4, max_side=3):
    """(shape, dims to reduce over as a tuple of distinct non-negative ints, keepdim)."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))
    dims = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape),
                         unique=True))
    return shape, tuple(dims), draw(st.booleans())


@st.composite
def shape_and_dim(draw, min_dims=1, max_dims=4, max_side=3):
    """(shape, one dim, possibly negative): for softmax, cumsum and friends."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))
    return shape, draw(st.integers(-len(shape), len(shape) - 1))


@st.composite
def matmul_shapes(draw, max_batch_dims=2, max_side=4):
    """Shapes (a, b) that `a @ b` accepts: vectors, matrices, and batches that broadcast."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    kind = draw(st.sampled_from(["vv", "vm", "mv", "mm", "batched"]))
    if kind == "vv":
        return (k,), (k,)
    if kind == "vm":
        return (k,), (k, m)
    if kind == "mv":
        return (n, k), (k,)
    if kind == "mm":
        return (n, k), (k, m)
    batch_a, batch_b = draw(broadcastable_shapes(2, min_dims=0, max_dims=max_batch_dims))
    side = draw(st.sampled_from(["both", "vector_left", "vector_right"]))
    if side == "vector_left":
        return (k,), batch_b + (k, m)
    if side == "vector_right":
        return batch_a + (n, k), (k,)
    return batch_a + (n, k), batch_b + (k, m)


# ---------------------------------------------------------------- arrays in a layout
def _values(rng, shape, low, high):
    return rng.uniform(low, high, size=shape)


def as_layout(values, layout, rng):
    """An array equal to `values` stored in `layout` (see LAYOUTS); "expanded" needs
    `values` constant along the dims it broadcasts, so arrays() draws those itself."""
    shape = values.shape
    if layout == "contiguous" or values.ndim == 0:
        return values.copy()
    if layout == "transposed":
        perm = rng.permutation(values.ndim)
        if values.ndim > 1 and np.all(perm == np.arange(values.ndim)):
            perm = perm[::-1].copy()
        base = np.ascontiguousarray(values.transpose(perm))
        return base.transpose(np.argsort(perm))
    if layout == "strided":
        steps = rng.integers(2, 4, size=values.ndim)
        offsets = [rng.integers(0, s) for s in steps]
        buffer = np.full([n * s + o for n, s, o in zip(shape, steps, offsets)], np.nan)
        view = buffer[tuple(slice(o, o + n * s, s) for n, s, o in zip(shape, steps, offsets))]
        view[...] = values
        return view
    if layout == "flipped":
        axes = tuple(d for d in range(values.ndim) if rng.random() < 0.7) or (0,)
        return np.flip(np.flip(values, axes).copy(), axes)
    raise ValueError(f"as_layout: unknown layout {layout!r}")


@st.composite
def arrays(draw, shape, layouts=LAYOUTS, low=-2.0, high=2.0, positive=False):
    """A float64 array of `shape` with seeded uniform values in [low, high] (positive:
    [0.5, 2]) stored in a layout drawn from `layouts`."""
    if positive:
        low, high = 0.5, 2.0
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    layout = draw(st.sampled_from(layouts))
    if layout == "expanded":
        wide = [d for d, n in enumerate(shape) if n > 1]
        broadcast = [d for d in wide if draw(st.booleans())] or wide[:1]
        small = tuple(1 if d in broadcast else n for d, n in enumerate(shape))
        return np.broadcast_to(_values(rng, small, low, high), shape)
    return as_layout(_values(rng, shape, low, high), layout, rng)


# ---------------------------------------------------------------- Tensor views
class View:
    """A view made with Tensor ops, the same on tinygrad_lr and torch tensors:
    view(base) has the target shape; base_shape is the leaf's shape."""

    def __init__(self, kind, base_shape, apply, detail):
        self.kind, self.base_shape, self.apply, self.detail = kind, base_shape, apply, detail

    def __call__(self, t):
        return self.apply(t)

    def __repr__(self):
        return f"View({self.kind}, base {self.base_shape}, {self.detail})"


@st.composite
def tensor_views(draw, shape, kinds=("permute", "slice", "flip", "expand")):
    """A View whose result has `shape`, made from a bigger or permuted leaf."""
    kind = draw(st.sampled_from(kinds))
    ndim = len(shape)
    if ndim == 0:
        return View("identity", shape, lambda t: t, "")
    if kind == "permute":
        perm = tuple(draw(st.permutations(range(ndim))))
        inverse = tuple(int(i) for i in np.argsort(perm))
        base = tuple(shape[p] for p in perm)  # base.permute(inverse) has `shape`
        return View(kind, base, lambda t: t.permute(*inverse), f"permute{inverse}")
    if kind == "slice":
        steps = [draw(st.integers(1, 3)) for _ in shape]
        starts = [draw(st.integers(0, s - 1)) for s in steps]
        base = tuple(n * s + o for n, s, o in zip(shape, steps, starts))
        index = tuple(slice(o, o + n * s, s) for n, s, o in zip(shape, steps, starts))
        return View(kind, base, lambda t: t[index], f"[{index}]")
    if kind == "flip":
        dims = tuple(d for d in range(ndim) if draw(st.booleans())) or (0,)
        return View(kind, shape, lambda t: t.flip(dims), f"flip{dims}")
    wide = [d for d, n in enumerate(shape) if n > 1]
    broadcast = [d for d in wide if draw(st.booleans())] or wide[:1]
    base = tuple(1 if d in broadcast else n for d, n in enumerate(shape))
    return View("expand", base, lambda t: t.expand(*shape), f"expand{shape}")
