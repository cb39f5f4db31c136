"""LSTM and GRU training steps, ours vs PyTorch, and the design choices of the fused
recurrence against what they replace.

Workload (both libraries, float32, same thread count, PyTorch's initial weights copied into
ours): LSTM or GRU (16 -> 64, batch_first), sequences of 32 steps, batch 32; the last hidden
state -> Linear(64 -> 10) -> cross-entropy -> backward -> Adam step.

Then, to justify the design of nn.LSTM's forward and backward:
- the same LSTM forward + backward written as a composite of Tensor ops per step
  (matmul, slices, sigmoid, tanh, mul, add - what nn.LSTM would be without its fused
  recurrence): columns fused / composite;
- the input projection of all steps, (T, B, 16) @ W_ih^T: the one 2-D GEMM that
  ops/linalg.matmul_arrays makes of it against numpy's 3-D matmul.
The gate kernels themselves (kernels/rnn.py) are timed against their numpy references in
bench_kernels.py; step time against sequence length is in bench_scaling.py.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W  # noqa: E402
from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

INPUT, HIDDEN, SEQ, BATCH, CLASSES = 16, 64, 32, 32, 10
TARGET = 1.0


class SequenceClassifier:
    """cell(INPUT -> HIDDEN, batch_first) -> last h -> Linear -> logits, for either library."""

    def __init__(self, m, cell):
        self.cell = cell
        self.rnn = getattr(m, cell)(INPUT, HIDDEN, batch_first=True)
        self.head = m.Linear(HIDDEN, CLASSES)

    def parameters(self):
        return list(self.rnn.parameters()) + list(self.head.parameters())

    def __call__(self, x):
        _, state = self.rnn(x)
        h_n = state[0] if self.cell == "LSTM" else state
        return self.head(h_n[-1])


def data(np, seq=SEQ):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, seq, INPUT)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    return x, y


def step_pair(torch, cell="LSTM", seq=SEQ):
    """(our training step, PyTorch's or None): same weights (PyTorch's, copied), same data,
    the same code on both sides since the APIs match."""
    import numpy as np

    import tinygrad_lr as tl

    x, y = data(np, seq)
    ours = SequenceClassifier(tl.nn, cell)
    step = W.training_step(tl, ours, tl.tensor(x), tl.tensor(y), "adam")
    if torch is None:
        return step, None
    theirs = SequenceClassifier(torch.nn, cell)
    for mine, their in ((ours.rnn, theirs.rnn), (ours.head, theirs.head)):
        W.copy_weights(mine, their)
    return step, W.training_step(torch, theirs, torch.from_numpy(x), torch.from_numpy(y),
                                 "adam")


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


def input_projection(folded):
    """x_gates = x @ W_ih^T for all steps, x of shape (T, B, INPUT)."""
    import numpy as np

    from tinygrad_lr.ops.linalg import matmul_arrays

    x = data(np)[0].transpose(1, 0, 2).copy()
    w = np.random.default_rng(1).standard_normal((4 * HIDDEN, INPUT)).astype(np.float32)
    if folded:
        return lambda: matmul_arrays(x, w.T)
    return lambda: np.matmul(x, w.T)


def main():
    torch = torch_or_none()
    rows = []
    for cell in ("LSTM", "GRU"):
        ours, theirs = compare(*step_pair(torch, cell))
        rows.append(row(f"{cell}({INPUT}->{HIDDEN}) seq {SEQ} batch {BATCH} + Linear + CE + "
                        "Adam step", ours, theirs, target=TARGET))
    print_table(rows, "LSTM and GRU training steps (median ms; ratio = ours / PyTorch)")
    fused, composite = compare(lstm_forward_backward(True), lstm_forward_backward(False),
                               repeats=5)
    design = [row("LSTM fwd+bwd, seq 32 batch 32: fused recurrence vs composite Tensor ops",
                  fused, composite)]
    folded, batched = compare(input_projection(True), input_projection(False), repeats=200)
    design.append(row("input projection (32,32,16)@(16,256): one 2-D GEMM vs 3-D matmul",
                      folded * 1e3, batched * 1e3, unit="us"))
    print_table(design, "LSTM design choices (ratio = first / second column)",
                columns=("ours", "rejected"))
    print("written to", write_json(rows, "bench_lstm"),
          write_json(design, "bench_lstm_design", columns=("ours", "rejected")))
    return rows + design


if __name__ == "__main__":
    main()
