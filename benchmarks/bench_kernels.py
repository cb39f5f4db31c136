"""Why kernels/conv.py uses im2col + BLAS and kernels/pool.py uses Numba loops: both
candidates timed on the small-CNN shapes (batch 32, 1->8 channels on 28x28 and 8->16 on
14x14, 3x3 kernels, padding 1), next to PyTorch's own kernels.

The losing candidates live here, not in the package: direct Numba loops for the three
convolution passes, and the numpy expression for 2x2 max pooling with argmax.

Recorded on this 2-core machine (float32, median ms, the machine not idle; run
`python benchmarks/bench_kernels.py` to measure again):

    workload                           im2col+BLAS  direct loops  torch
    conv 1->8 28x28 forward                   0.10          0.68   0.11
    conv 1->8 28x28 grad input                0.11          0.60   1.38
    conv 1->8 28x28 grad weight               0.05          0.72   0.11
    conv 8->16 14x14 forward                  0.28          2.33   0.09
    conv 8->16 14x14 grad input               0.30          2.45   0.17
    conv 8->16 14x14 grad weight              0.16          2.80   0.18
    max pool 2x2 8x28x28 forward + argmax: kernel 0.29, numpy 1.48, torch 0.42
"""
import os
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median_ms, print_table, row, torch_or_none, write_json  # noqa: E402


# ------------------------------------------------------------ the direct-loop candidates
@numba.njit(cache=True, parallel=True)
def direct_forward(x, w, pad, out):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = out.shape[2], out.shape[3]
    for no in numba.prange(n * o):
        b, oc = no // o, no % o
        out[b, oc] = 0.0
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    wv = w[oc, ch, i, j]
                    for oh in range(ho):
                        ih = oh - pad + i
                        if 0 <= ih < h:
                            for ow in range(max(0, pad - j), min(wo, wd + pad - j)):
                                out[b, oc, oh, ow] += wv * x[b, ch, ih, ow - pad + j]


@numba.njit(cache=True, parallel=True)
def direct_grad_input(g, w, pad, dx):
    n, c, h, wd = dx.shape
    o, _, kh, kw = w.shape
    ho, wo = g.shape[2], g.shape[3]
    for nc in numba.prange(n * c):
        b, ch = nc // c, nc % c
        dx[b, ch] = 0.0
        for oc in range(o):
            for i in range(kh):
                for j in range(kw):
                    wv = w[oc, ch, i, j]
                    for oh in range(ho):
                        ih = oh - pad + i
                        if 0 <= ih < h:
                            for ow in range(max(0, pad - j), min(wo, wd + pad - j)):
                                dx[b, ch, ih, ow - pad + j] += wv * g[b, oc, oh, ow]


@numba.njit(cache=True, parallel=True)
def direct_grad_weight(g, x, pad, dw):
    n, c, h, wd = x.shape
    o, _, kh, kw = dw.shape
    ho, wo = g.shape[2], g.shape[3]
    for oc_ch in numba.prange(o * c):
        oc, ch = oc_ch // c, oc_ch % c
        for i in range(kh):
            for j in range(kw):
                s = 0.0
                for b in range(n):
                    for oh in range(ho):
                        ih = oh - pad + i
                        if 0 <= ih < h:
                            for ow in range(max(0, pad - j), min(wo, wd + pad - j)):
                                s += g[b, oc, oh, ow] * x[b, ch, ih, ow - pad + j]
                dw[oc, ch, i, j] = s


def numpy_max_pool_2x2(x):
    """The numpy alternative to kernels/pool.py for 2x2/stride 2: max and argmax."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(n, c, h // 2, w // 2, 4)
    arg = windows.argmax(axis=-1)
    return np.take_along_axis(windows, arg[..., None], -1)[..., 0], arg


# ------------------------------------------------------------ the measurements
def idle():
    """Let the last library's worker threads stop spinning (OpenMP keeps them busy-waiting
    for a while after a parallel region) so they do not steal the 2 cores from the next."""
    time.sleep(0.3)


def main():
    from tinygrad_lr.kernels import conv as K
    from tinygrad_lr.kernels import pool as P

    torch = torch_or_none()
    rng = np.random.default_rng(0)
    rows = []
    for cin, cout, hw in ((1, 8, 28), (8, 16, 14)):
        x = rng.standard_normal((32, cin, hw, hw)).astype(np.float32)
        w = rng.standard_normal((cout, cin, 3, 3)).astype(np.float32)
        g = rng.standard_normal((32, cout, hw, hw)).astype(np.float32)
        args = ((1, 1), (1, 1), (1, 1), 1)
        out, dx, dw = np.empty_like(g), np.empty_like(x), np.empty_like(w)
        _, cols = K.conv2d_forward(x, w, *args)
        cases = {
            "forward": (lambda: K.conv2d_forward(x, w, *args),
                        lambda: direct_forward(x, w, 1, out)),
            "grad input": (lambda: K.conv2d_backward_input(g, w, x.shape, *args),
                           lambda: direct_grad_input(g, w, 1, dx)),
            # the layer keeps cols from its forward pass, so the product alone is timed
            "grad weight": (lambda: K.conv2d_backward_weight(g, cols, w.shape, 1),
                            lambda: direct_grad_weight(g, x, 1, dw)),
        }
        # the two candidates must agree before their speed means anything
        direct_forward(x, w, 1, out)
        np.testing.assert_allclose(out, K.conv2d_forward(x, w, *args)[0], rtol=1e-4, atol=1e-4)
        if torch is not None:
            xt, wt, gt = (torch.from_numpy(a) for a in (x, w, g))
            conv_input = torch.nn.grad.conv2d_input
            conv_weight = torch.nn.grad.conv2d_weight
            reference = {"forward": lambda: torch.nn.functional.conv2d(xt, wt, padding=1),
                         "grad input": lambda: conv_input(xt.shape, wt, gt, padding=1),
                         "grad weight": lambda: conv_weight(xt, wt.shape, gt, padding=1)}
        for name, (im2col_fn, direct_fn) in cases.items():
            torch_ms = median_ms(reference[name], 100) if torch is not None else None
            idle()
            label = f"conv {cin}->{cout} {hw}x{hw} {name}"
            rows.append(row(label + " im2col+BLAS", median_ms(im2col_fn, 100), torch_ms))
            idle()
            rows.append(row(label + " direct loops", median_ms(direct_fn, 100), torch_ms))

    x = rng.standard_normal((32, 8, 28, 28)).astype(np.float32)
    torch_ms = None
    if torch is not None:
        xt = torch.from_numpy(x)
        torch_ms = median_ms(lambda: torch.nn.functional.max_pool2d(xt, 2, return_indices=True))
        idle()
    kernel = lambda: P.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (14, 14))  # noqa
    np.testing.assert_array_equal(kernel()[0], numpy_max_pool_2x2(x)[0])
    rows.append(row("max pool 2x2 8x28x28 fwd+argmax kernel", median_ms(kernel), torch_ms))
    rows.append(row("max pool 2x2 8x28x28 fwd+argmax numpy",
                    median_ms(lambda: numpy_max_pool_2x2(x)), torch_ms))
    print_table(rows, "Convolution and pooling kernels (batch 32, float32), ms")
    write_json(rows, "bench_kernels")
    return rows


if __name__ == "__main__":
    main()
