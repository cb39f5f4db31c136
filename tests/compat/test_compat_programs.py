"""The PyTorch-compatibility suite (issue 10): each program in programs/ is plain PyTorch
code, run once under PyTorch and once under tinygrad_lr through `tl.as_torch()`; both must
finish and print the same results.

Printed output is compared token by token after whitespace is removed: numbers within a
float tolerance (widened to half a unit of the last digit either side printed, since
PyTorch prints tensors with 4 decimals and numpy with more), all other text exactly. Two
differences of spelling are not differences of result and are normalised: PyTorch prints
`torch.Size([2, 3])` where tinygrad_lr's shape is the tuple `(2, 3)`, and `torch.float32`
where a tinygrad_lr dtype (a numpy dtype) prints `float32`. Object addresses
(`<... object at 0x7f...>`) are masked.

A program that cannot run yet is marked xfail(strict=True) with the first PyTorch call
that fails, so it turns into a failure (to un-mark) as soon as it passes.
"""
import json
import math
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROGRAMS = sorted(n for n in os.listdir(os.path.join(HERE, "programs"))
                  if n.endswith(".py") and n != "helpers.py")
RTOL, ATOL = 2e-3, 1e-5

# program -> the first PyTorch call that fails under tinygrad_lr (for the lead's core work)
NOT_YET = {
}

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b")


def normalise(text):
    text = re.sub(r"torch\.Size\(\[([^\]]*)\]\)",
                  lambda m: "(" + m.group(1) + ("," if m.group(1).count(",") == 0
                                                and m.group(1) else "") + ")", text)
    text = re.sub(r"\btorch\.(float16|float32|float64|int8|int16|int32|int64|uint8|bool)\b",
                  r"\1", text)
    return re.sub(r" object at 0x[0-9a-fA-F]+", " object at 0x", text)


def tokens(text):
    """[(is_number, text)]: numbers, and the text between them without whitespace."""
    out, pos = [], 0
    for m in list(_NUMBER.finditer(text)) + [None]:
        between = re.sub(r"\s+", "", text[pos:m.start() if m else len(text)])
        if between:
            out.append((False, between))
        if m:
            out.append((True, m.group()))
            pos = m.end()
    return out


def _half_unit(s):
    mantissa = s.lower().split("e")[0]
    exponent = int(s.lower().split("e")[1]) if "e" in s.lower() else 0
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** (exponent - decimals)


def numbers_agree(a, b):
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        return str(x) == str(y)
    slack = max(_half_unit(a), _half_unit(b))
    return abs(x - y) <= ATOL + RTOL * abs(y) + slack


def first_difference(expected, got):
    """None if the outputs agree, else a message showing where they part."""
    te, tg = tokens(normalise(expected)), tokens(normalise(got))
    for i, (e, g) in enumerate(zip(te, tg)):
        same = e[0] and g[0] and numbers_agree(e[1], g[1]) or e == g
        if not same:
            context = " ".join(t for _, t in te[max(0, i - 6):i])
            return f"after ...{context!r}: PyTorch printed {e[1]!r}, tinygrad_lr {g[1]!r}"
    if len(te) != len(tg):
        return f"PyTorch printed {len(te)} tokens, tinygrad_lr {len(tg)}"
    return None


def _run(backend):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, os.path.join(HERE, "run_programs.py"), backend],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=HERE, text=True)


@pytest.fixture(scope="module")
def outputs():
    """Both backends' results, the two runs side by side (one subprocess each)."""
    pytest.importorskip("torch")
    return collect({b: _run(b) for b in ("torch", "tinygrad_lr")}, timeout=900)


def collect(procs, timeout):
    """{backend: the JSON its runner printed}, from runner subprocesses started side by side."""
    results = {}
    for backend, proc in procs.items():
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, f"{backend} runner failed:\n{err[-3000:]}"
        results[backend] = json.loads(out)
    return results


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=f"first failing call: "
                                                                f"{NOT_YET[n]}"))
    if n in NOT_YET else n for n in PROGRAMS])
def test_program_prints_what_pytorch_prints(outputs, name):
    ref, ours = outputs["torch"][name], outputs["tinygrad_lr"][name]
    assert ref["error"] is None, f"the program fails under PyTorch itself: {ref['error']}"
    assert ours["error"] is None, (f"{ours['error']['call']}\n{ours['error']['type']}: "
                                   f"{ours['error']['message']}")
    difference = first_difference(ref["stdout"], ours["stdout"])
    assert difference is None, difference


def test_comparison_tells_numbers_and_text_apart():
    assert first_difference("tensor([1.0000, 2.5000])", "tensor([1., 2.5])") is None
    assert first_difference("loss 0.1234", "loss 0.1240") is not None
    assert first_difference("torch.Size([2, 3]) torch.float32", "(2, 3) float32") is None
    assert first_difference("torch.Size([4])", "(4,)") is None
    assert first_difference("<AddBackward0>", "<AddBackward>") is not None
    assert first_difference("1 2 3", "1 2") is not None
    assert first_difference("nan", "0.0") is not None
    assert first_difference("199 5175.39", "1995 175.39") is not None
