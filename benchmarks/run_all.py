"""Run every benchmarks/bench_*.py in turn (each prints its own table and writes its JSON),
then write all rows to benchmarks/results/all.json.

`python benchmarks/run_all.py [--busy] [--only NAME ...]` or
`python -m tinygrad_lr bench [--busy] [--only NAME ...]`:
--busy also runs busy.py (the conv nets and the LSTM with one core kept busy by a second
process); --only runs the benchmarks whose file name contains one of the NAMEs (e.g.
`--only networks scaling`). One failing benchmark is reported and does not stop the others.
"""
import argparse
import glob
import importlib.util
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # benchmarks import each other (busy.py uses bench_lstm)
    spec.loader.exec_module(module)
    return name, module


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", action="store_true",
                        help="also time the conv nets and the LSTM with one core kept busy")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run only the benchmarks whose file name contains a NAME")
    args = parser.parse_args(argv)
    sys.path.insert(0, HERE)
    paths = sorted(glob.glob(os.path.join(HERE, "bench_*.py")))
    if args.busy:
        paths.append(os.path.join(HERE, "busy.py"))
    if args.only:
        paths = [p for p in paths if any(n in os.path.basename(p) for n in args.only)]
    failed, results = [], {}
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        try:
            name, module = _load(path)
            results[name] = module.main()
        except Exception:  # noqa: BLE001  one broken benchmark should not hide the others
            traceback.print_exc()
            failed.append(name)
    from common import RESULTS, THREADS

    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "all.json"), "w") as f:
        json.dump({"threads": THREADS, "benchmarks": results}, f, indent=2)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return not failed


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
