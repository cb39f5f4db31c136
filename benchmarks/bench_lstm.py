"""LSTM and GRU training steps, ours vs PyTorch, and the fused gate kernels vs what they
replace.

Workload (both libraries, float32, 2 threads): LSTM or GRU (16 -> 64, batch_first),
sequences of 32 steps, batch 32; the last hidden state -> Linear(64 -> 10) -> cross-entropy
-> backward -> Adam step. Median ms of the whole step, warm-up (Numba compilation) excluded.

Then, to justify the kernels in kernels/rnn.py (a kernel exists only if it wins):
- the same LSTM forward + backward written as a composite of Tensor ops per step
  (matmul, slices, sigmoid, tanh, mul, add - what nn.LSTM would be without them);
- the elementwise middle of one LSTM / GRU step's forward (tanh -> sigmoid, the cell or
  output update) and the gate part of one step's backward, numpy expression vs Numba kernel;
- the input projection of all steps, (T, B, 16) @ W_ih^T: numpy's 3-D matmul against the
  one 2-D GEMM that ops/linalg.matmul_arrays makes of it.
The transcendental functions stay numpy: a Numba loop calls scalar libm tanh/exp, and a
forward kernel doing its own measured 115 us per step against numpy's 19 us (B=32, H=64).

Where the time went (2026-11-28, 2-core machine, medians of 300 steps, PyTorch 2.6 ms):
before this round ours was 3.8 ms (forward 1.9, backward 1.7); one tanh per step for all
gates plus the cell kernel, the gate kernels without float64-promoting literals (11 -> 2.7
us a step), the folded input projection and the malloc thresholds (tinygrad_lr/_malloc.py:
482 page faults a step without them) brought it to 3.0-3.2 ms (forward 1.5, backward 1.4,
Adam 0.15). What remains is the per-step overhead of ~8 numpy/Numba calls around each
small h @ W_hh^T, forward and backward, which PyTorch runs in fused C++ loops.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median_ms, print_table, row, torch_or_none, write_json  # noqa: E402

INPUT, HIDDEN, SEQ, BATCH, CLASSES = 16, 64, 32, 32, 10
TARGET = 1.5


def data(np):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SEQ, INPUT)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    return x, y


def training_step(lib, cell="LSTM"):
    """One step of cell(INPUT -> HIDDEN, batch_first) -> last h -> Linear -> cross-entropy
    -> Adam, for lib = tinygrad_lr or torch: the same code, since the APIs match."""
    import numpy as np

    lib.manual_seed(0)
    rnn = getattr(lib.nn, cell)(INPUT, HIDDEN, batch_first=True)
    head = lib.nn.Linear(HIDDEN, CLASSES)
    opt = lib.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)
    x, y = (lib.from_numpy(a) for a in data(np))

    def step():
        opt.zero_grad()
        _, state = rnn(x)
        h_n = state[0] if cell == "LSTM" else state
        loss = lib.nn.functional.cross_entropy(head(h_n[-1]), y)
        loss.backward()
        opt.step()
    return step


def lstm_forward_backward(fused):
    """nn.LSTM (fused) or the same maths as Tensor ops per step (composite)."""
    import numpy as np

    import tinygrad_lr as tl
    from tinygrad_lr import nn

    tl.manual_seed(0)
    lstm = nn.LSTM(INPUT, HIDDEN)
    x = tl.tensor(data(np)[0].transpose(1, 0, 2).copy())
    w_ih, w_hh, b_ih, b_hh = lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0
    H = HIDDEN

    def composite():
        x_gates = nn.functional.linear(x, w_ih, b_ih)
        h = c = tl.zeros(BATCH, H)
        for t in range(SEQ):
            gates = x_gates[t] + h @ w_hh.T + b_hh
            i, f = gates[:, :H].sigmoid(), gates[:, H:2 * H].sigmoid()
            g, o = gates[:, 2 * H:3 * H].tanh(), gates[:, 3 * H:].sigmoid()
            c = f * c + i * g
            h = o * c.tanh()
        h.sum().backward()

    def fused_layer():
        _, (h_n, _) = lstm(x)
        h_n.sum().backward()
    return fused_layer if fused else composite


def gate_step_backward(kernel):
    """The gate part of one LSTM step's backward (B=32, H=64): kernel vs numpy."""
    import numpy as np

    from tinygrad_lr.kernels.rnn import lstm_step_backward

    rng = np.random.default_rng(0)
    act = rng.random((BATCH, 4 * HIDDEN)).astype(np.float32)
    tanh_c, c_prev, grad_h, grad_out, grad_c = (
        rng.standard_normal((BATCH, HIDDEN)).astype(np.float32) for _ in range(5))
    d_gates, grad_c_prev = np.empty_like(act), np.empty_like(c_prev)
    i, f, g, o = (act[:, k * HIDDEN:(k + 1) * HIDDEN] for k in range(4))

    def with_kernel():
        lstm_step_backward(act, tanh_c, c_prev, grad_h, grad_out, grad_c, d_gates, grad_c_prev)

    def with_numpy():
        gh = grad_h + grad_out
        gc = grad_c + gh * o * (1 - tanh_c * tanh_c)
        d_gates[:, :HIDDEN] = gc * g * i * (1 - i)
        d_gates[:, HIDDEN:2 * HIDDEN] = gc * c_prev * f * (1 - f)
        d_gates[:, 2 * HIDDEN:3 * HIDDEN] = gc * i * (1 - g * g)
        d_gates[:, 3 * HIDDEN:] = gh * tanh_c * o * (1 - o)
        np.multiply(gc, f, out=grad_c_prev)
    return with_kernel if kernel else with_numpy


def gate_step_forward(kernel):
    """The middle of one LSTM step's forward (B=32, H=64): kernel vs numpy."""
    import numpy as np

    from tinygrad_lr.kernels.rnn import lstm_cell_forward

    rng = np.random.default_rng(0)
    act = np.tanh(rng.standard_normal((BATCH, 4 * HIDDEN))).astype(np.float32)
    c_prev = rng.standard_normal((BATCH, HIDDEN)).astype(np.float32)
    c, product = np.empty_like(c_prev), np.empty_like(c_prev)
    half = np.float32(0.5)
    i, f, g, o = (act[:, k * HIDDEN:(k + 1) * HIDDEN] for k in range(4))
    i_f = act[:, :2 * HIDDEN]

    def with_kernel():
        lstm_cell_forward(act, c_prev, c, half)

    def with_numpy():
        for block in (i_f, o):
            block *= half
            block += half
        np.multiply(f, c_prev, out=c)
        np.add(c, np.multiply(i, g, out=product), out=c)
    return with_kernel if kernel else with_numpy


def input_projection(folded):
    """x_gates = x @ W_ih^T for all steps, x of shape (T, B, INPUT)."""
    import numpy as np

    from tinygrad_lr.ops.linalg import matmul_arrays

    x = data(np)[0].transpose(1, 0, 2).copy()
    w = np.random.default_rng(1).standard_normal((4 * HIDDEN, INPUT)).astype(np.float32)
    if folded:
        return lambda: matmul_arrays(x, w.T)
    return lambda: np.matmul(x, w.T)


def gru_gate_step_forward(kernel):
    """The elementwise part of one GRU step's forward (B=32, H=64): the two kernels vs numpy."""
    import numpy as np

    from tinygrad_lr.kernels.rnn import gru_gates_forward, gru_output

    rng = np.random.default_rng(0)
    act = np.tanh(rng.standard_normal((BATCH, 3 * HIDDEN))).astype(np.float32)
    pre, h_gates = (rng.standard_normal((BATCH, 3 * HIDDEN)).astype(np.float32) for _ in range(2))
    h_prev = rng.standard_normal((BATCH, HIDDEN)).astype(np.float32)
    h, tmp = np.empty_like(h_prev), np.empty_like(h_prev)
    half = np.float32(0.5)
    r_z, r, z, n = (act[:, :2 * HIDDEN], act[:, :HIDDEN], act[:, HIDDEN:2 * HIDDEN],
                    act[:, 2 * HIDDEN:])

    def with_kernel():
        gru_gates_forward(act, pre, h_gates, half)
        gru_output(act, h_prev, h)

    def with_numpy():
        np.multiply(r_z, half, out=r_z)
        np.add(r_z, half, out=r_z)
        np.multiply(r, h_gates[:, 2 * HIDDEN:], out=n)
        np.add(n, pre[:, 2 * HIDDEN:], out=n)
        np.subtract(h_prev, n, out=tmp)
        np.multiply(tmp, z, out=tmp)
        np.add(n, tmp, out=h)
    return with_kernel if kernel else with_numpy


def gru_gate_step_backward(kernel):
    """The gate part of one GRU step's backward (B=32, H=64): kernel vs numpy."""
    import numpy as np

    from tinygrad_lr.kernels.rnn import gru_step_backward

    rng = np.random.default_rng(0)
    act = rng.random((BATCH, 3 * HIDDEN)).astype(np.float32)
    h_gates = rng.standard_normal((BATCH, 3 * HIDDEN)).astype(np.float32)
    h_prev, grad_h = (rng.standard_normal((BATCH, HIDDEN)).astype(np.float32) for _ in range(2))
    d_x, d_h, grad_h_prev = np.empty_like(act), np.empty_like(act), np.empty_like(h_prev)
    r, z, n = (act[:, k * HIDDEN:(k + 1) * HIDDEN] for k in range(3))

    def with_kernel():
        gru_step_backward(act, h_gates, h_prev, grad_h, d_x, d_h, grad_h_prev)

    def with_numpy():
        d_n = grad_h * (1 - z) * (1 - n * n)
        d_z = grad_h * (h_prev - n) * z * (1 - z)
        d_r = d_n * h_gates[:, 2 * HIDDEN:] * r * (1 - r)
        d_x[:, :HIDDEN] = d_h[:, :HIDDEN] = d_r
        d_x[:, HIDDEN:2 * HIDDEN] = d_h[:, HIDDEN:2 * HIDDEN] = d_z
        d_x[:, 2 * HIDDEN:] = d_n
        np.multiply(d_n, r, out=d_h[:, 2 * HIDDEN:])
        np.multiply(grad_h, z, out=grad_h_prev)
    return with_kernel if kernel else with_numpy


def main():
    import tinygrad_lr as tl

    torch = torch_or_none()
    rows = []
    for cell, target in (("LSTM", TARGET), ("GRU", None)):
        ours = median_ms(training_step(tl, cell), repeats=100, warmup=10)
        theirs = median_ms(training_step(torch, cell), repeats=100, warmup=10) if torch else None
        rows.append(row(f"{cell}({INPUT}->{HIDDEN}) seq {SEQ} batch {BATCH} + Linear + CE + "
                        "Adam step", ours, theirs, target=target))
    fused = median_ms(lstm_forward_backward(True), repeats=50, warmup=5)
    composite = median_ms(lstm_forward_backward(False), repeats=20, warmup=3)
    rows.append(row("LSTM fwd+bwd: fused recurrence (ours) vs composite Tensor ops "
                    "(column 'torch')", fused, composite, unit="ms"))
    kernel = median_ms(gate_step_forward(True), repeats=500, warmup=20) * 1e3
    numpy_gates = median_ms(gate_step_forward(False), repeats=500, warmup=20) * 1e3
    rows.append(row("one LSTM step forward, cell update: Numba kernel vs numpy (column "
                    "'torch')", kernel, numpy_gates, unit="us"))
    kernel = median_ms(gate_step_backward(True), repeats=500, warmup=20) * 1e3
    numpy_gates = median_ms(gate_step_backward(False), repeats=500, warmup=20) * 1e3
    rows.append(row("one LSTM gate step backward: Numba kernel vs numpy (column 'torch')",
                    kernel, numpy_gates, unit="us"))
    kernel = median_ms(gru_gate_step_forward(True), repeats=500, warmup=20) * 1e3
    numpy_gates = median_ms(gru_gate_step_forward(False), repeats=500, warmup=20) * 1e3
    rows.append(row("one GRU step forward, gates and output: Numba kernels vs numpy "
                    "(column 'torch')", kernel, numpy_gates, unit="us"))
    kernel = median_ms(gru_gate_step_backward(True), repeats=500, warmup=20) * 1e3
    numpy_gates = median_ms(gru_gate_step_backward(False), repeats=500, warmup=20) * 1e3
    rows.append(row("one GRU gate step backward: Numba kernel vs numpy (column 'torch')",
                    kernel, numpy_gates, unit="us"))
    folded = median_ms(input_projection(True), repeats=200, warmup=20) * 1e3
    batched = median_ms(input_projection(False), repeats=200, warmup=20) * 1e3
    rows.append(row("input projection (32,32,16)@(16,256): one 2-D GEMM vs numpy 3-D "
                    "matmul (column 'torch')", folded, batched, unit="us"))
    print_table(rows, "LSTM (ratio = ours / PyTorch; lower is better)")
    print("written to", write_json(rows, "bench_lstm"))
    return rows


if __name__ == "__main__":
    main()
