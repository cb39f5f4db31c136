"""Acceptance for issue 10: real PyTorch teaching programs, unchanged, on tinygrad_lr.

The programs are not in this repository (they are pytorch/tutorials' and pytorch/examples'
code, under their own BSD-3-Clause licence): put the files in a directory and name it,

    TINYGRAD_LR_PROGRAMS=/path/to/programs pytest tests/compat/test_external_programs.py

with the names used below (PROGRAMS: name -> source file in its repository). Without the
variable the tests are skipped. Each program runs once under PyTorch and once under
tinygrad_lr (`as_torch()`), by external/run_external.py, with only its data replaced
(external/torchvision_standin.py: random images of the real datasets' shapes).

The two runs draw different random numbers (each backend its own generator, and the
programs seed only their own backend), so their numbers differ; what must agree is
everything else: both finish, and they print the same text with a number wherever
PyTorch printed one (`same_text_and_number_count`). Where a program prints words chosen by
its random weights (a predicted class name), MASKS blanks them on both sides first.
"""
import os
import re
import subprocess
import sys

import pytest
from test_compat_programs import collect, normalise, tokens

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DIRECTORY = os.environ.get("TINYGRAD_LR_PROGRAMS")

# file name here -> where it comes from (repository: path)
PROGRAMS = {
    "tensorqs_tutorial.py": "pytorch/tutorials: beginner_source/basics/tensorqs_tutorial.py",
    "autogradqs_tutorial.py": "pytorch/tutorials: beginner_source/basics/autogradqs_tutorial.py",
    "buildmodel_tutorial.py": "pytorch/tutorials: beginner_source/basics/buildmodel_tutorial.py",
    "optimization_tutorial.py":
        "pytorch/tutorials: beginner_source/basics/optimization_tutorial.py",
    "saveloadrun_tutorial.py":
        "pytorch/tutorials: beginner_source/basics/saveloadrun_tutorial.py",
    "quickstart_tutorial.py": "pytorch/tutorials: beginner_source/basics/quickstart_tutorial.py",
    "tensor_tutorial.py": "pytorch/tutorials: beginner_source/blitz/tensor_tutorial.py",
    "autograd_tutorial.py": "pytorch/tutorials: beginner_source/blitz/autograd_tutorial.py",
    "neural_networks_tutorial.py":
        "pytorch/tutorials: beginner_source/blitz/neural_networks_tutorial.py",
    "cifar10_tutorial.py": "pytorch/tutorials: beginner_source/blitz/cifar10_tutorial.py",
    "polynomial_numpy.py": "pytorch/tutorials: beginner_source/examples_tensor/polynomial_numpy.py",
    "polynomial_tensor.py":
        "pytorch/tutorials: beginner_source/examples_tensor/polynomial_tensor.py",
    "polynomial_autograd.py":
        "pytorch/tutorials: beginner_source/examples_autograd/polynomial_autograd.py",
    "polynomial_custom_function.py":
        "pytorch/tutorials: beginner_source/examples_autograd/polynomial_custom_function.py",
    "polynomial_nn.py": "pytorch/tutorials: beginner_source/examples_nn/polynomial_nn.py",
    "polynomial_optim.py": "pytorch/tutorials: beginner_source/examples_nn/polynomial_optim.py",
    "polynomial_module.py": "pytorch/tutorials: beginner_source/examples_nn/polynomial_module.py",
    "dynamic_net.py": "pytorch/tutorials: beginner_source/examples_nn/dynamic_net.py",
    "nn_tutorial.py": "pytorch/tutorials: beginner_source/nn_tutorial.py",
    "pytorch_tutorial.py": "pytorch/tutorials: beginner_source/nlp/pytorch_tutorial.py",
    "deep_learning_tutorial.py":
        "pytorch/tutorials: beginner_source/nlp/deep_learning_tutorial.py",
    "word_embeddings_tutorial.py":
        "pytorch/tutorials: beginner_source/nlp/word_embeddings_tutorial.py",
    "sequence_models_tutorial.py":
        "pytorch/tutorials: beginner_source/nlp/sequence_models_tutorial.py",
    "examples_regression.py": "pytorch/examples: regression/main.py",
    "examples_mnist.py": "pytorch/examples: mnist/main.py",
    "examples_time_sequence_train.py": "pytorch/examples: time_sequence_prediction/train.py",
}

# program -> [(pattern, replacement)]: printed words that depend on random draws (weights,
# shuffling)
_PREDICTED = (r'Predicted: "[^"]*"', 'Predicted: "<class>"')
MASKS = {
    "quickstart_tutorial.py": [_PREDICTED],
    "cifar10_tutorial.py": [(r"\A.*", "<labels of a shuffled batch>"),
                            (r"Predicted: .*", "Predicted: <classes>")],
}

# program -> why it does not pass yet (first failing call, or the first difference)
NOT_YET: dict[str, str] = {}
# programs that fail under PyTorch itself (nothing to compare)
BROKEN_UPSTREAM = {
    "examples_time_sequence_train.py": "torch.load('traindata.pt') of a numpy array fails "
                                       "under PyTorch >= 2.6 (weights_only=True by default)",
}


def same_text_and_number_count(expected, got):
    """None if `got` prints what `expected` prints up to the values of numbers."""
    te, tg = tokens(normalise(expected)), tokens(normalise(got))
    for i, (e, g) in enumerate(zip(te, tg)):
        if e[0] != g[0] or (not e[0] and e[1] != g[1]):
            context = " ".join(t for _, t in te[max(0, i - 6):i])
            return f"after ...{context!r}: PyTorch printed {e[1]!r}, tinygrad_lr {g[1]!r}"
    if len(te) != len(tg):
        return f"PyTorch printed {len(te)} tokens, tinygrad_lr {len(tg)}"
    return None


def _present():
    if not DIRECTORY:
        return []
    return sorted(n for n in PROGRAMS if os.path.exists(os.path.join(DIRECTORY, n)))


@pytest.fixture(scope="module")
def outputs():
    pytest.importorskip("torch")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    runner = os.path.join(HERE, "external", "run_external.py")
    procs = {b: subprocess.Popen([sys.executable, runner, b, DIRECTORY, *_present()],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                 text=True)
             for b in ("torch", "tinygrad_lr")}
    return collect(procs, timeout=1800)


def _param(name):
    if name in BROKEN_UPSTREAM:
        return pytest.param(name, marks=pytest.mark.skip(reason=BROKEN_UPSTREAM[name]))
    if name in NOT_YET:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[name]))
    return name


@pytest.mark.skipif(not DIRECTORY, reason="set TINYGRAD_LR_PROGRAMS to the programs' directory")
@pytest.mark.parametrize("name", [_param(n) for n in _present()] or ["-"])
def test_real_program_runs_unchanged(outputs, name):
    ref, ours = outputs["torch"][name], outputs["tinygrad_lr"][name]
    assert ref["error"] is None, f"the program fails under PyTorch itself: {ref['error']}"
    assert ours["error"] is None, (f"{ours['error']['call']}\n{ours['error']['type']}: "
                                   f"{ours['error']['message']}")
    expected, got = ref["stdout"], ours["stdout"]
    for pattern, replacement in MASKS.get(name, []):
        expected, got = re.sub(pattern, replacement, expected), re.sub(pattern, replacement, got)
    difference = same_text_and_number_count(expected, got)
    assert difference is None, difference


def test_structure_comparison_ignores_values_only():
    assert same_text_and_number_count("loss: 0.25 [ 64/128]", "loss: 1.5 [ 64/128]") is None
    assert same_text_and_number_count("tensor([1., 2.])", "tensor([3.0000, 4.0000])") is None
    assert same_text_and_number_count("Linear(in_features=2, bias=True)",
                                      "Linear(in_features=2, bias=False)") is not None
    assert same_text_and_number_count("tensor([1., 2.])", "tensor([1.])") is not None
    assert same_text_and_number_count("a 1", "a 1 2") is not None
