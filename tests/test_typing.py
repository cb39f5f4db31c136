"""The public API's annotations serve a user's code: mypy accepts ordinary training code and
catches a wrong type and a misspelt method in it."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is not installed (pip install mypy)")

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F

model = tl.nn.Linear(1, 1)
x = tl.tensor([1.0])
y: tl.Tensor = (x * 2).relu().sum()
loss = F.mse_loss(y, y)
loss.backward()
opt = tl.optim.SGD(model.parameters(), lr=0.1)
opt.step()
values, indices = x.sort()
first: tl.Tensor = x.sort(descending=True).values
n: int = x.numel() + x.ndim
parts: tuple[tl.Tensor, ...] = x.split(1)
z: tl.Tensor = tl.cat([x, 2 * x], dim=0).mean(dim=(0,), keepdim=True)
"""

BAD = """
import tinygrad_lr as tl

x = tl.tensor([1.0])
count: int = x.sum()
x.rleu()
"""


def test_mypy_accepts_typed_user_code_and_flags_mistakes(tmp_path):
    (tmp_path / "good.py").write_text(textwrap.dedent(GOOD))
    (tmp_path / "bad.py").write_text(textwrap.dedent(BAD))
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull,
         "--config-file", str(ROOT / "pyproject.toml"), "good.py", "bad.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if e.startswith("good.py")], run.stdout
    assert any(e.startswith("bad.py:5:") and "[assignment]" in e for e in errors), run.stdout
    assert any(e.startswith("bad.py:6:") and "rleu" in e for e in errors), run.stdout
