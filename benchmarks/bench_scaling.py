"""How the cost of a training step grows with the work, ours beside PyTorch: step time
against batch size and against channel count for a conv net (workloads.conv_net:
Conv(3->C)-ReLU-pool-Conv(C->C)-ReLU-pool-Linear on 3x32x32, SGD), and against sequence
length for the LSTM of bench_lstm.py (Adam). Each table also shows the cost per sample
(or per time step), so a flat column means cost proportional to work.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_lstm  # noqa: E402
import workloads as W  # noqa: E402
from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

BATCHES = (16, 64, 256)
BATCH_CHANNELS = 16
CHANNELS = (8, 32, 64)
CHANNEL_BATCH = 32
SEQUENCES = (16, 64, 256)


def conv_step(torch, batch, channels):
    x, y = W.classification_data((batch, 3, 32, 32))
    return W.step_pair(lambda m: W.conv_net(m, channels), x, y, torch)


def scaling_rows(torch, label, sizes, make_pair, per):
    rows = []
    for size in sizes:
        ours, theirs = compare(*make_pair(size), repeats=5, min_time=0.02)
        rows.append(row(f"{label} {size}: step", ours, theirs))
        rows.append(row(f"{label} {size}: per {per}", ours / size,
                        theirs / size if theirs else None))
    return rows


def main():
    torch = torch_or_none()
    tables = [
        (f"Conv net C={BATCH_CHANNELS} 3x32x32: step time vs batch size (ms)",
         scaling_rows(torch, "batch", BATCHES, lambda b: conv_step(torch, b, BATCH_CHANNELS),
                      "sample")),
        (f"Conv net batch {CHANNEL_BATCH} 3x32x32: step time vs channel count C (ms)",
         scaling_rows(torch, "channels", CHANNELS,
                      lambda c: conv_step(torch, CHANNEL_BATCH, c), "channel")),
        ("LSTM(16->64) batch 32 + Linear + CE + Adam: step time vs sequence length (ms)",
         scaling_rows(torch, "seq", SEQUENCES,
                      lambda t: bench_lstm.step_pair(torch, "LSTM", t), "time step")),
    ]
    rows = []
    for title, table in tables:
        print_table(table, title)
        rows += table
    print("json:", write_json(rows, "scaling"))
    return rows


if __name__ == "__main__":
    main()
