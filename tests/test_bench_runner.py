"""The benchmark runner's plumbing (no timing is asserted): `bench --busy/--only` reach
benchmarks/run_all.py, --only selects by file name, the busy helper cleans up its process,
and the table printer names its columns."""
import importlib.util
import json
import os
import sys

import pytest

from tinygrad_lr import cli

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
pytestmark = pytest.mark.skipif(not os.path.isdir(BENCH), reason="no benchmarks/ checkout")


def load(name):
    sys.path.insert(0, BENCH)
    spec = importlib.util.spec_from_file_location(name, os.path.join(BENCH, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_flags_are_parsed():
    args = cli.build_parser().parse_args(["bench", "--busy", "--only", "networks", "scaling"])
    assert args.busy is True and args.only == ["networks", "scaling"]
    assert cli.build_parser().parse_args(["bench"]).busy is False


def test_only_selects_benchmarks_by_name(tmp_path, monkeypatch, capsys):
    common = load("common")
    monkeypatch.setattr(common, "RESULTS", str(tmp_path))
    run_all = load("run_all")
    ran = []
    monkeypatch.setattr(run_all, "_load", lambda path: (os.path.basename(path), type(
        "M", (), {"main": staticmethod(lambda: ran.append(os.path.basename(path)) or [])})))
    assert run_all.main(["--only", "overhead", "optim"]) is True
    assert sorted(ran) == ["bench_optim.py", "bench_overhead.py"]
    ran.clear()
    assert run_all.main(["--only", "lstm", "--busy"]) is True
    assert sorted(ran) == ["bench_lstm.py"]  # busy.py's name does not contain "lstm"
    ran.clear()
    run_all.main(["--only", "busy", "--busy"])
    assert ran == ["busy.py"]
    with open(tmp_path / "all.json") as f:
        assert "busy.py" in json.load(f)["benchmarks"]


def test_cli_forwards_the_flags(monkeypatch):
    seen = []
    real_spec = importlib.util.spec_from_file_location

    def spec_from_file_location(name, path):
        spec = real_spec(name, path)
        if name == "run_all":
            class Loader:
                def create_module(self, spec):
                    return None  # the default module

                def exec_module(self, module):
                    module.main = lambda argv: seen.append(argv) or True
            spec.loader = Loader()
        return spec
    monkeypatch.setattr(importlib.util, "spec_from_file_location", spec_from_file_location)
    assert cli.main(["bench", "--busy", "--only", "networks"]) == 0
    assert seen == [["--busy", "--only", "networks"]]


def test_one_core_busy_stops_its_process():
    common = load("common")
    with common.one_core_busy() as proc:
        assert proc.poll() is None  # spinning
    assert proc.poll() is not None  # and gone


def test_tables_name_their_columns(capsys):
    common = load("common")
    common.print_table([common.row("x", 1.0, 2.0)], "t", columns=("kernel", "numpy"))
    header = capsys.readouterr().out.splitlines()[2]
    assert "kernel" in header and "numpy" in header and "torch" not in header
