"""The busy-machine table: the conv nets and the LSTM timed twice in the same run, on the
machine as it is and with a second process keeping one of the cores busy
(`common.one_core_busy`), ours beside PyTorch each time.

The requirement (issue 11): each ours/PyTorch ratio under load stays within 1.25x of the
quiet ratio. Run with `python -m tinygrad_lr bench --busy` or `python benchmarks/busy.py`.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_lstm  # noqa: E402
import bench_networks  # noqa: E402
from common import compare, one_core_busy, print_table, row, torch_or_none, write_json  # noqa: E402

LIMIT = 1.25


def workloads(torch):
    return [
        ("LeNet-5 batch 64, SGD momentum step", *bench_networks.lenet_step(torch, 64)),
        ("Conv32-BN-Conv64-BN net 3x32x32 b32, Adam step", *bench_networks.conv_bn_step(torch)),
        ("LSTM(16->64) seq 32 b32 + Linear + CE + Adam step",
         *bench_lstm.step_pair(torch)),
    ]


def main():
    torch = torch_or_none()
    rows = []
    for name, ours, theirs in workloads(torch):
        quiet = compare(ours, theirs)
        with one_core_busy():
            busy = compare(ours, theirs)
        quiet_row, busy_row = row(name + ", quiet", *quiet), row(name + ", one core busy", *busy)
        rows += [quiet_row, busy_row]
        if quiet_row["ratio"] and busy_row["ratio"]:
            rows.append(row(name + ": busy ratio / quiet ratio", busy_row["ratio"],
                            quiet_row["ratio"], target=LIMIT, unit="ratio"))
    print_table(rows, "Busy machine: ours vs PyTorch with one core kept busy (median ms); "
                      "the third row of each: busy ratio, quiet ratio, their quotient")
    print("json:", write_json(rows, "busy"))
    return rows


if __name__ == "__main__":
    main()
