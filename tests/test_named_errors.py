"""Every bad input gets a named error: one table of bad calls, each with the exception type we
raise and a pattern its message must match (naming the function, layer or argument, and the
shapes or values where they matter). Where PyTorch also refuses the call, the same call on
torch must raise too; where PyTorch accepts it (negative eps, BatchNorm momentum 2, ...) we
refuse it deliberately and the case says torch=None.

The families: factories, tensor methods and indexing, every layer's input type and rank,
layer hyper-parameters, containers, every optimizer argument, metrics, DataLoader collation.
"""
import re

import numpy as np
import pytest
import torch

import tinygrad_lr as tl
from tinygrad_lr import nn, optim
from tinygrad_lr.data import DataLoader
from tinygrad_lr.train import metrics as M

F = nn.functional
TF = torch.nn.functional
TNN = torch.nn

CASES = []
# what PyTorch raises for bad input (Embedding's padding_idx check is an assert; Flatten and
# F.softmax given a list fail on the missing method)
TORCH_ERRORS = (TypeError, ValueError, RuntimeError, IndexError, KeyError, AssertionError,
                AttributeError)


def case(name, ours, exc, pattern, theirs=None):
    """ours: a call that must raise `exc` with a message matching `pattern`; theirs: the same
    call on PyTorch, which must raise too (None where PyTorch accepts the input)."""
    CASES.append(pytest.param(ours, exc, pattern, theirs, id=name))


def T(*shape, dtype="float32"):
    return tl.tensor(np.ones(shape), dtype=dtype)


def P(*shape, dtype=torch.float32):
    return torch.ones(shape, dtype=dtype)


def both(name, fn, exc, pattern, ours_args, torch_args=None):
    """The same expression fn(lib, *args) on both libraries."""
    case(name, lambda: fn(tl, *ours_args()), exc, pattern,
         lambda: fn(torch, *(torch_args or ours_args)()))


# ---------------------------------------------------------------- factories
for lib_fn, args, pat in [
    ("arange", (0, 10, -1), r"arange\(\): .*step=-1"),
    ("arange", (0, 10, 0), r"arange\(\): step must be nonzero"),
    ("randperm", (-1,), r"randperm\(\): n .*-1"),
    ("linspace", (0, 1, -1), r"linspace\(\): steps .*-1"),
    ("eye", (-1,), r"eye\(\): n .*-1"),
    ("zeros", (-1,), r"zeros\(\): sizes .*\(-1,\)"),
    ("ones", (2, -3), r"ones\(\): sizes .*\(2, -3\)"),
    ("randn", (-2,), r"randn\(\): sizes .*-2"),
    ("rand", (-2,), r"rand\(\): sizes .*-2"),
    ("empty", (-1,), r"empty\(\): sizes .*-1"),
]:
    both(f"{lib_fn}{args}", lambda lib, f=lib_fn, a=args: getattr(lib, f)(*a),
         ValueError, pat, lambda: ())
case("full negative size", lambda: tl.full((-1,), 1.0), ValueError, r"full\(\): sizes .*-1",
     lambda: torch.full((-1,), 1.0))
case("zeros float size", lambda: tl.zeros(2.5), TypeError, r"zeros\(\): size .*2\.5",
     lambda: torch.zeros(2.5))
case("randint low >= high", lambda: tl.randint(5, 2, (3,)), ValueError, r"randint\(\): high \(2\) .*low \(5\)",
     lambda: torch.randint(5, 2, (3,)))

# ---------------------------------------------------------------- tensor methods
case("reshape wrong size", lambda: T(2, 3).reshape(4, 2), ValueError,
     r"reshape: .*\(2, 3\) \(6 elements\) into \(4, 2\)", lambda: P(2, 3).reshape(4, 2))
case("view two -1", lambda: T(2, 3).view(-1, -1), ValueError, r"reshape: .*into \(-1, -1\)",
     lambda: P(2, 3).view(-1, -1))
case("matmul mismatch", lambda: T(2, 3) @ T(4, 2), ValueError, r"matmul.*\(2, 3\).*\(4, 2\)",
     lambda: P(2, 3) @ P(4, 2))
case("matmul 0-d", lambda: T() @ T(2), ValueError, r"matmul: .*at least 1 dim.*\(\) and \(2,\)",
     lambda: P() @ P(2))
case("add broadcast", lambda: T(2, 3) + T(4), ValueError, r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast",
     lambda: P(2, 3) + P(4))
case("mul broadcast", lambda: T(2, 3) * T(2), ValueError, r"mul.*\(2, 3\).*\(2,\)",
     lambda: P(2, 3) * P(2))
case("where broadcast", lambda: tl.where(T(2, dtype="bool"), T(3), T(2)), ValueError,
     r"where.*\(2,\).*\(3,\)", lambda: torch.where(P(2, dtype=torch.bool), P(3), P(2)))
case("sum dim out of range", lambda: T(2, 3).sum(2), IndexError, r"sum.*dim.*range.*2",
     lambda: P(2, 3).sum(2))
case("mean dim out of range", lambda: T(2, 3).mean(-3), IndexError, r"mean: dim -3 is out of range",
     lambda: P(2, 3).mean(-3))
case("max dim out of range", lambda: T(2, 3).max(5), IndexError, r"max: dim 5 is out of range",
     lambda: P(2, 3).max(5))
case("argmax dim out of range", lambda: T(2, 3).argmax(5), IndexError, r"argmax: dim 5 is out of range",
     lambda: P(2, 3).argmax(5))
case("softmax dim out of range", lambda: T(2, 3).softmax(2), IndexError, r"softmax.*range",
     lambda: P(2, 3).softmax(2))
case("cumsum dim out of range", lambda: T(2, 3).cumsum(2), IndexError, r"cumsum.*range",
     lambda: P(2, 3).cumsum(2))
case("transpose dim out of range", lambda: T(2, 3).transpose(0, 2), IndexError,
     r"transpose.*range", lambda: P(2, 3).transpose(0, 2))
case("permute wrong length", lambda: T(2, 3).permute(0,), ValueError, r"permute.*\(0,\)",
     lambda: P(2, 3).permute(0,))
case("permute repeated", lambda: T(2, 3).permute(0, 0), ValueError, r"permute: .*\(0, 0\).*twice",
     lambda: P(2, 3).permute(0, 0))
case("squeeze dim out of range", lambda: T(2, 1).squeeze(3), IndexError, r"squeeze.*range",
     lambda: P(2, 1).squeeze(3))
case("unsqueeze dim out of range", lambda: T(2).unsqueeze(3), IndexError, r"unsqueeze.*range",
     lambda: P(2).unsqueeze(3))
case("expand bad", lambda: T(2, 3).expand(4, 3), ValueError, r"expand.*\(2, 3\).*\(4, 3\)",
     lambda: P(2, 3).expand(4, 3))
case("flatten start after end", lambda: T(2, 3, 4).flatten(2, 1), ValueError,
     r"flatten: start_dim 2 .*end_dim 1", lambda: P(2, 3, 4).flatten(2, 1))
case("cat mismatch", lambda: tl.cat([T(2, 3), T(2, 4)]), ValueError, r"cat.*\(2, 4\)",
     lambda: torch.cat([P(2, 3), P(2, 4)]))
case("cat empty list", lambda: tl.cat([]), ValueError, r"cat.*empty|cat.*at least one",
     lambda: torch.cat([]))
case("stack mismatch", lambda: tl.stack([T(2), T(3)]), ValueError, r"stack: tensor 1 has shape \(3,\)",
     lambda: torch.stack([P(2), P(3)]))
case("split size 0", lambda: T(4).split(0), ValueError, r"split: split_size must be positive",
     lambda: P(4).split(0))
case("chunk 0", lambda: T(4).chunk(0), ValueError, r"chunk: .*0", lambda: P(4).chunk(0))
case("item of many", lambda: T(3).item(), ValueError, r"item\(\): only one-element.*\(3,\)",
     lambda: P(3).item())
case("backward of non-scalar", lambda: (T(2).requires_grad_() * 2).backward(), RuntimeError,
     r"backward\(\): the tensor has shape \(2,\), not a scalar",
     lambda: (P(2).requires_grad_() * 2).backward())
case("requires_grad on int", lambda: T(2, dtype="int64").requires_grad_(), TypeError,
     r"only floating-point tensors can require grad.*int64", lambda: P(2, dtype=torch.int64).requires_grad_())
case("clamp min > max tensor", lambda: T(2).clamp(), ValueError, r"clamp.*min.*max",
     lambda: P(2).clamp())

# ---------------------------------------------------------------- indexing
case("index out of range", lambda: T(3)[5], IndexError, r"index 5 is out of bounds for dimension 0 with size 3 \(tensor of shape \(3,\)\)",
     lambda: P(3)[5])
case("negative index out of range", lambda: T(2, 3)[-3], IndexError, r"index -3.*\(2, 3\)",
     lambda: P(2, 3)[-3])
case("index dim 1 out of range", lambda: T(2, 3)[:, 7], IndexError,
     r"index 7 .*dimension 1 with size 3.*\(2, 3\)", lambda: P(2, 3)[:, 7])
case("too many indices", lambda: T(2, 3)[0, 0, 0], IndexError, r"index: too many indices for a tensor of shape \(2, 3\)",
     lambda: P(2, 3)[0, 0, 0])
case("tensor index out of range", lambda: T(3)[tl.tensor([0, 4])], IndexError,
     r"index 4 .*\(3,\)", lambda: P(3)[torch.tensor([0, 4])])
case("float tensor index", lambda: T(3)[tl.tensor([0.0, 1.0])], IndexError,
     r"index: .*integer or bool tensors.*float32.*\(3,\)",
     lambda: P(3)[torch.tensor([0.0, 1.0])])
case("bool mask wrong shape", lambda: T(3)[tl.tensor([True, False])], IndexError,
     r"index: the shape of the mask \(2,\) .*indexed tensor \(3,\)", lambda: P(3)[torch.tensor([True, False])])
case("index 0-d", lambda: T()[0], IndexError, r"too many indices for a tensor of shape \(\)",
     lambda: P()[0])
case("setitem out of range", lambda: T(3).__setitem__(3, 1.0), IndexError,
     r"index 3 .*\(3,\)", lambda: P(3).__setitem__(3, 1.0))
case("gather out of range", lambda: T(2, 3).gather(1, tl.tensor([[0, 3]])), IndexError,
     r"gather.*3.*3", lambda: P(2, 3).gather(1, torch.tensor([[0, 3]])))
case("Linear list input", lambda: nn.Linear(3, 2)([1.0, 2.0, 3.0]), TypeError,
     r"Linear.*input.*Tensor.*list", lambda: TNN.Linear(3, 2)([1.0, 2.0, 3.0]))
case("Linear numpy input", lambda: nn.Linear(3, 2)(np.ones(3)), TypeError,
     r"Linear.*Tensor.*ndarray", lambda: TNN.Linear(3, 2)(np.ones(3)))
case("Linear features", lambda: nn.Linear(3, 2)(T(4, 5)), ValueError,
     r"Linear.*3 features.*\(4, 5\)", lambda: TNN.Linear(3, 2)(P(4, 5)))
case("Linear 0-d", lambda: nn.Linear(3, 2)(T()), ValueError, r"Linear.*shape \(\)",
     lambda: TNN.Linear(3, 2)(P()))
case("Linear int input", lambda: nn.Linear(3, 2)(T(2, 3, dtype="int64")), TypeError,
     r"linear: input is int64 but weight is float32", lambda: TNN.Linear(3, 2)(P(2, 3, dtype=torch.int64)))
case("Linear float64 input", lambda: nn.Linear(3, 2)(T(2, 3, dtype="float64")), TypeError,
     r"linear: input is float64 but weight is float32", lambda: TNN.Linear(3, 2)(P(2, 3, dtype=torch.float64)))
case("Bilinear features", lambda: nn.Bilinear(2, 3, 4)(T(5, 2), T(5, 2)), ValueError,
     r"Bilinear.*\(5, 2\)", lambda: TNN.Bilinear(2, 3, 4)(P(5, 2), P(5, 2)))
case("Conv2d 2-D input", lambda: nn.Conv2d(1, 2, 3)(T(5, 5)), ValueError,
     r"Conv2d: expected a 3-D unbatched .* 4-D batched .*\(5, 5\)", lambda: TNN.Conv2d(1, 2, 3)(P(5, 5)))
case("Conv2d 5-D input", lambda: nn.Conv2d(1, 2, 3)(T(1, 1, 1, 5, 5)), ValueError,
     r"Conv2d.*\(1, 1, 1, 5, 5\)", lambda: TNN.Conv2d(1, 2, 3)(P(1, 1, 1, 5, 5)))
case("Conv2d channels", lambda: nn.Conv2d(3, 2, 3)(T(1, 2, 5, 5)), ValueError,
     r"Conv2d.*3.*channels.*\(1, 2, 5, 5\)", lambda: TNN.Conv2d(3, 2, 3)(P(1, 2, 5, 5)))
case("Conv2d unbatched channels", lambda: nn.Conv2d(3, 2, 3)(T(2, 5, 5)), ValueError,
     r"Conv2d: expected input with 3 channels.*2 channels", lambda: TNN.Conv2d(3, 2, 3)(P(2, 5, 5)))
case("Conv2d kernel bigger than input", lambda: nn.Conv2d(1, 2, 5)(T(1, 1, 3, 3)), ValueError,
     r"Conv2d.*kernel.*\(1, 1, 3, 3\)", lambda: TNN.Conv2d(1, 2, 5)(P(1, 1, 3, 3)))
case("Conv2d list input", lambda: nn.Conv2d(1, 2, 3)([[1.0]]), TypeError,
     r"Conv2d.*Tensor.*list", lambda: TNN.Conv2d(1, 2, 3)([[1.0]]))
case("Conv2d int input", lambda: nn.Conv2d(1, 2, 3)(T(1, 1, 5, 5, dtype="int64")), TypeError,
     r"Conv2d.*int64", lambda: TNN.Conv2d(1, 2, 3)(P(1, 1, 5, 5, dtype=torch.int64)))
case("Conv1d 1-D input", lambda: nn.Conv1d(1, 2, 3)(T(5)), ValueError,
     r"Conv1d: expected a 2-D unbatched .* 3-D batched .*\(5,\)", lambda: TNN.Conv1d(1, 2, 3)(P(5)))
case("Conv1d 4-D input", lambda: nn.Conv1d(1, 2, 3)(T(1, 1, 5, 5)), ValueError,
     r"Conv1d.*\(1, 1, 5, 5\)", lambda: TNN.Conv1d(1, 2, 3)(P(1, 1, 5, 5)))
case("Conv1d channels", lambda: nn.Conv1d(2, 2, 3)(T(1, 3, 5)), ValueError,
     r"Conv1d.*2.*channels.*\(1, 3, 5\)", lambda: TNN.Conv1d(2, 2, 3)(P(1, 3, 5)))
case("ConvTranspose2d channels", lambda: nn.ConvTranspose2d(2, 2, 3)(T(1, 3, 5, 5)),
     ValueError, r"ConvTranspose2d.*2.*channels.*\(1, 3, 5, 5\)",
     lambda: TNN.ConvTranspose2d(2, 2, 3)(P(1, 3, 5, 5)))
case("MaxPool2d 2-D input", lambda: nn.MaxPool2d(2)(T(4, 4)), ValueError,
     r"MaxPool2d.*\(4, 4\)", lambda: TNN.MaxPool2d(2)(P(4, 4)))
case("MaxPool2d kernel > input", lambda: nn.MaxPool2d(5)(T(1, 1, 3, 3)), ValueError,
     r"MaxPool2d.*\(1, 1, 3, 3\)", lambda: TNN.MaxPool2d(5)(P(1, 1, 3, 3)))
case("MaxPool2d padding > half kernel", lambda: nn.MaxPool2d(3, padding=2)(T(1, 1, 4, 4)),
     ValueError, r"MaxPool2d.*pad.*half",
     lambda: TNN.MaxPool2d(3, padding=2)(P(1, 1, 4, 4)))
case("MaxPool2d kernel 0", lambda: nn.MaxPool2d(0)(T(1, 1, 4, 4)), ValueError,
     r"MaxPool2d.*kernel_size", lambda: TNN.MaxPool2d(0)(P(1, 1, 4, 4)))
case("MaxPool1d 1-D input", lambda: nn.MaxPool1d(2)(T(4)), ValueError, r"MaxPool1d.*\(4,\)",
     lambda: TNN.MaxPool1d(2)(P(4)))
case("MaxPool1d list", lambda: nn.MaxPool1d(2)([1.0, 2.0]), TypeError, r"MaxPool1d.*list",
     lambda: TNN.MaxPool1d(2)([1.0, 2.0]))
case("AvgPool2d 2-D input", lambda: nn.AvgPool2d(2)(T(4, 4)), ValueError,
     r"AvgPool2d.*\(4, 4\)", lambda: TNN.AvgPool2d(2)(P(4, 4)))
case("AvgPool2d padding > half kernel", lambda: nn.AvgPool2d(3, padding=2)(T(1, 1, 4, 4)),
     ValueError, r"AvgPool2d.*pad.*half",
     lambda: TNN.AvgPool2d(3, padding=2)(P(1, 1, 4, 4)))
case("AvgPool2d stride 0", lambda: nn.AvgPool2d(2, stride=0)(T(1, 1, 4, 4)), ValueError,
     r"AvgPool2d.*stride", lambda: TNN.AvgPool2d(2, stride=0)(P(1, 1, 4, 4)))
case("AdaptiveAvgPool2d 2-D", lambda: nn.AdaptiveAvgPool2d(2)(T(4, 4)), ValueError,
     r"AdaptiveAvgPool2d.*\(4, 4\)", lambda: TNN.AdaptiveAvgPool2d(2)(P(4, 4)))
case("AdaptiveAvgPool2d size 0", lambda: nn.AdaptiveAvgPool2d(0)(T(1, 1, 4, 4)), ValueError,
     r"AdaptiveAvgPool2d.*output_size", None)
case("BatchNorm1d 1-D input", lambda: nn.BatchNorm1d(3)(T(3)), ValueError,
     r"BatchNorm1d.*2D.*3D.*\(3,\)", lambda: TNN.BatchNorm1d(3)(P(3)))
case("BatchNorm1d 4-D input", lambda: nn.BatchNorm1d(3)(T(2, 3, 4, 4)), ValueError,
     r"BatchNorm1d.*\(2, 3, 4, 4\)", lambda: TNN.BatchNorm1d(3)(P(2, 3, 4, 4)))
case("BatchNorm1d features", lambda: nn.BatchNorm1d(3)(T(2, 4)), ValueError,
     r"BatchNorm1d\(3\).*4", lambda: TNN.BatchNorm1d(3)(P(2, 4)))
case("BatchNorm1d one sample training", lambda: nn.BatchNorm1d(3)(T(1, 3)), ValueError,
     r"batch_norm: expected more than 1 value per channel when training.*\(1, 3\)",
     lambda: TNN.BatchNorm1d(3)(P(1, 3)))
case("BatchNorm1d list", lambda: nn.BatchNorm1d(3)([[1.0, 2.0, 3.0]]), TypeError,
     r"BatchNorm1d.*list", lambda: TNN.BatchNorm1d(3)([[1.0, 2.0, 3.0]]))
case("BatchNorm2d 3-D input", lambda: nn.BatchNorm2d(3)(T(3, 4, 4)), ValueError,
     r"BatchNorm2d.*4D.*\(3, 4, 4\)", lambda: TNN.BatchNorm2d(3)(P(3, 4, 4)))
case("BatchNorm2d int input", lambda: nn.BatchNorm2d(3)(T(2, 3, 4, 4, dtype="int64")),
     TypeError, r"batch_norm: needs a floating-point input, got int64",
     lambda: TNN.BatchNorm2d(3)(P(2, 3, 4, 4, dtype=torch.int64)))
# float-only ops on integers: the result would be truncated (these returned integers)
case("batch_norm int, no running stats",
     lambda: F.batch_norm(T(4, 3, dtype="int64"), None, None, training=True), TypeError,
     r"batch_norm: needs a floating-point input, got int64",
     lambda: TF.batch_norm(P(4, 3, dtype=torch.int64), None, None, training=True))
case("layer_norm int input", lambda: F.layer_norm(T(2, 3, dtype="int64"), (3,)), TypeError,
     r"layer_norm: needs a floating-point input, got int64",
     lambda: TF.layer_norm(P(2, 3, dtype=torch.int64), (3,)))
case("mse_loss int input", lambda: F.mse_loss(T(2, 3, dtype="int64"), T(2, 3, dtype="int64")),
     TypeError, r"mse_loss: input of dtype int64 .*floating-point",
     lambda: TF.mse_loss(P(2, 3, dtype=torch.int64), P(2, 3, dtype=torch.int64)))
case("dropout int input", lambda: F.dropout(T(2, 3, dtype="int64"), 0.3), TypeError,
     r"dropout: needs a floating-point input, got int64",
     lambda: TF.dropout(P(2, 3, dtype=torch.int64), 0.3))
case("cross_entropy int logits",
     lambda: F.cross_entropy(T(2, 3, dtype="int64"), tl.tensor(np.array([0, 1]))), TypeError,
     r"cross_entropy: the logits \(input\) must be floating point, got int64",
     lambda: TF.cross_entropy(P(2, 3, dtype=torch.int64), torch.tensor([0, 1])))
case("LayerNorm shape", lambda: nn.LayerNorm(4)(T(2, 3)), ValueError,
     r"LayerNorm.*\(4,\).*\(2, 3\)", lambda: TNN.LayerNorm(4)(P(2, 3)))
case("LayerNorm rank", lambda: nn.LayerNorm((2, 3))(T(3)), ValueError,
     r"LayerNorm.*\(2, 3\).*\(3,\)", lambda: TNN.LayerNorm((2, 3))(P(3)))
case("LayerNorm list", lambda: nn.LayerNorm(3)([1.0, 2.0, 3.0]), TypeError, r"LayerNorm.*list",
     lambda: TNN.LayerNorm(3)([1.0, 2.0, 3.0]))
case("Embedding float indices", lambda: nn.Embedding(5, 2)(tl.tensor([0.0, 1.0])), TypeError,
     r"embedding: indices must be an integer tensor, got float32",
     lambda: TNN.Embedding(5, 2)(torch.tensor([0.0, 1.0])))
case("Embedding index too big", lambda: nn.Embedding(5, 2)(tl.tensor([0, 5])), IndexError,
     r"embedding: index 5 is out of range .* 5 rows", lambda: TNN.Embedding(5, 2)(torch.tensor([0, 5])))
case("Embedding negative index", lambda: nn.Embedding(5, 2)(tl.tensor([-1])), IndexError,
     r"embedding: index -1 is out of range", lambda: TNN.Embedding(5, 2)(torch.tensor([-1])))
case("Embedding list", lambda: nn.Embedding(5, 2)([0, 1]), TypeError, r"Embedding.*list",
     lambda: TNN.Embedding(5, 2)([0, 1]))
case("F.embedding bool indices", lambda: F.embedding(tl.tensor([True]), T(5, 2)), TypeError,
     r"embedding.*bool", lambda: TF.embedding(torch.tensor([True]), P(5, 2)))
for mod in ("RNN", "LSTM", "GRU"):
    case(f"{mod} 1-D input", lambda m=mod: getattr(nn, m)(3, 4)(T(3)), ValueError,
         rf"{mod}.*3-D.*2-D.*\(3,\)", lambda m=mod: getattr(TNN, m)(3, 4)(P(3)))
    case(f"{mod} 4-D input", lambda m=mod: getattr(nn, m)(3, 4)(T(1, 2, 3, 3)), ValueError,
         rf"{mod}.*\(1, 2, 3, 3\)", lambda m=mod: getattr(TNN, m)(3, 4)(P(1, 2, 3, 3)))
    case(f"{mod} features", lambda m=mod: getattr(nn, m)(3, 4)(T(5, 2, 2)), ValueError,
         rf"{mod}.*input_size=3.*\(5, 2, 2\)", lambda m=mod: getattr(TNN, m)(3, 4)(P(5, 2, 2)))
    case(f"{mod} list", lambda m=mod: getattr(nn, m)(3, 4)([[1.0, 2.0, 3.0]]), TypeError,
         rf"{mod}.*input.*Tensor.*list",
         lambda m=mod: getattr(TNN, m)(3, 4)([[1.0, 2.0, 3.0]]))
    case(f"{mod} hidden_size 0", lambda m=mod: getattr(nn, m)(3, 0), ValueError,
         rf"{mod}.*hidden_size", lambda m=mod: getattr(TNN, m)(3, 0))
    case(f"{mod} num_layers 0", lambda m=mod: getattr(nn, m)(3, 4, num_layers=0), ValueError,
         rf"{mod}.*num_layers", lambda m=mod: getattr(TNN, m)(3, 4, num_layers=0))
    case(f"{mod} dropout 1.5", lambda m=mod: getattr(nn, m)(3, 4, dropout=1.5), ValueError,
         rf"{mod}.*dropout", lambda m=mod: getattr(TNN, m)(3, 4, dropout=1.5))
for mod, h0, th0 in [
    ("RNN", lambda: T(1, 3, 4), lambda: P(1, 3, 4)),
    ("GRU", lambda: T(2, 2, 4), lambda: P(2, 2, 4)),
    ("LSTM", lambda: (T(1, 2, 5), T(1, 2, 4)), lambda: (P(1, 2, 5), P(1, 2, 4))),
]:
    case(f"{mod} h0 shape", lambda m=mod, h=h0: getattr(nn, m)(3, 4)(T(5, 2, 3), h()),
         ValueError, rf"{mod}.*h0.*\(1, 2, 4\)",
         lambda m=mod, h=th0: getattr(TNN, m)(3, 4)(P(5, 2, 3), h()))
case("LSTM h0 not a tuple", lambda: nn.LSTM(3, 4)(T(5, 2, 3), T(1, 2, 4)), TypeError,
     r"LSTM.*tuple", lambda: TNN.LSTM(3, 4)(P(5, 2, 3), P(1, 2, 4)))
case("LSTM c0 shape", lambda: nn.LSTM(3, 4)(T(5, 2, 3), (T(1, 2, 4), T(1, 3, 4))), ValueError,
     r"LSTM.*c0.*\(1, 2, 4\)", lambda: TNN.LSTM(3, 4)(P(5, 2, 3), (P(1, 2, 4), P(1, 3, 4))))
case("RNN h0 dtype", lambda: nn.RNN(3, 4)(T(5, 2, 3), T(1, 2, 4, dtype="float64")),
     TypeError, r"RNN.*h0.*float64", None)
case("RNNCell features", lambda: nn.RNNCell(3, 4)(T(2, 5)), ValueError,
     r"RNNCell.*\(batch, 3\).*\(2, 5\)", lambda: TNN.RNNCell(3, 4)(P(2, 5)))
case("LSTMCell 3-D", lambda: nn.LSTMCell(3, 4)(T(1, 2, 3)), ValueError,
     r"LSTMCell.*\(1, 2, 3\)", lambda: TNN.LSTMCell(3, 4)(P(1, 2, 3)))
case("GRUCell h shape", lambda: nn.GRUCell(3, 4)(T(2, 3), T(2, 5)), ValueError,
     r"GRUCell.*\(2, 4\).*\(2, 5\)", lambda: TNN.GRUCell(3, 4)(P(2, 3), P(2, 5)))
case("Flatten dim out of range", lambda: nn.Flatten(5)(T(2, 3)), IndexError,
     r"flatten: dim 5 is out of range", lambda: TNN.Flatten(5)(P(2, 3)))
case("Flatten list", lambda: nn.Flatten()([[1.0]]), TypeError, r"Flatten.*list",
     lambda: TNN.Flatten()([[1.0]]))
case("Dropout list", lambda: nn.Dropout(0.5)([1.0]), TypeError, r"[Dd]ropout.*list",
     lambda: TNN.Dropout(0.5)([1.0]))
case("Softmax dim", lambda: nn.Softmax(5)(T(2, 3)), IndexError, r"softmax.*range",
     lambda: TNN.Softmax(5)(P(2, 3)))
case("ReLU list", lambda: nn.ReLU()([1.0]), TypeError, r"ReLU.*list|relu.*list",
     lambda: TNN.ReLU()([1.0]))
case("F.dropout p 2", lambda: F.dropout(T(3), 2.0), ValueError, r"dropout.*p.*2",
     lambda: TF.dropout(P(3), 2.0))
case("F.linear shapes", lambda: F.linear(T(2, 3), T(4, 5)), ValueError,
     r"linear: input of shape \(2, 3\) does not match weight of shape \(4, 5\)",
     lambda: TF.linear(P(2, 3), P(4, 5)))
case("F.conv2d weight rank", lambda: F.conv2d(T(1, 1, 4, 4), T(2, 1, 3)), ValueError,
     r"conv2d.*weight.*\(2, 1, 3\)", lambda: TF.conv2d(P(1, 1, 4, 4), P(2, 1, 3)))
case("F.max_pool2d stride 0", lambda: F.max_pool2d(T(1, 1, 4, 4), 2, 0), ValueError,
     r"max_pool2d.*stride", lambda: TF.max_pool2d(P(1, 1, 4, 4), 2, 0))
case("F.softmax list", lambda: F.softmax([1.0, 2.0], 0), TypeError, r"softmax.*list",
     lambda: TF.softmax([1.0, 2.0], 0))

# ---------------------------------------------------------------- layers: hyper-parameters
case("Linear negative in_features", lambda: nn.Linear(-1, 2), ValueError,
     r"Linear: in_features.*-1", lambda: TNN.Linear(-1, 2))
case("Linear float out_features", lambda: nn.Linear(2, 2.5), ValueError,
     r"Linear: out_features.*2\.5", lambda: TNN.Linear(2, 2.5))
case("Bilinear in1 0", lambda: nn.Bilinear(0, 2, 2), ValueError, r"Bilinear: in1_features",
     lambda: TNN.Bilinear(0, 2, 2))
case("Conv2d in_channels 0", lambda: nn.Conv2d(0, 2, 3), ValueError, r"Conv2d: in_channels",
     None)
case("Conv2d kernel 0", lambda: nn.Conv2d(1, 2, 0), ValueError, r"Conv2d: kernel_size", None)
case("Conv2d stride 0", lambda: nn.Conv2d(1, 2, 3, stride=0), ValueError, r"Conv2d: stride",
     lambda: TNN.Conv2d(1, 2, 3, stride=0)(P(1, 1, 5, 5)))
case("Conv2d padding -1", lambda: nn.Conv2d(1, 2, 3, padding=-1), ValueError,
     r"Conv2d: padding", lambda: TNN.Conv2d(1, 2, 3, padding=-1)(P(1, 1, 5, 5)))
case("Conv2d groups", lambda: nn.Conv2d(2, 2, 3, groups=3), ValueError, r"Conv2d: groups",
     lambda: TNN.Conv2d(2, 2, 3, groups=3))
case("Conv1d kernel tuple of 2", lambda: nn.Conv1d(1, 2, (3, 3)), ValueError,
     r"Conv1d: kernel_size", None)
case("Conv2d padding string", lambda: nn.Conv2d(1, 2, 3, padding="full"), ValueError,
     r"Conv2d: padding.*'full'", lambda: TNN.Conv2d(1, 2, 3, padding="full"))
case("MaxPool2d negative padding", lambda: nn.MaxPool2d(2, padding=-1)(T(1, 1, 4, 4)),
     ValueError, r"MaxPool2d.*padding", lambda: TNN.MaxPool2d(2, padding=-1)(P(1, 1, 4, 4)))
case("BatchNorm1d num_features 0", lambda: nn.BatchNorm1d(0), ValueError,
     r"BatchNorm1d: num_features", None)
case("BatchNorm1d eps -1", lambda: nn.BatchNorm1d(3, eps=-1), ValueError,
     r"BatchNorm1d: eps.*-1", None)
case("BatchNorm2d momentum 2", lambda: nn.BatchNorm2d(3, momentum=2), ValueError,
     r"BatchNorm2d: momentum.*2", None)
case("BatchNorm1d momentum -0.1", lambda: nn.BatchNorm1d(3, momentum=-0.1), ValueError,
     r"BatchNorm1d: momentum", None)
case("BatchNorm1d eps string", lambda: nn.BatchNorm1d(3, eps="1e-5"), TypeError,
     r"BatchNorm1d: eps.*str", None)
case("LayerNorm eps -1", lambda: nn.LayerNorm(3, eps=-1), ValueError, r"LayerNorm: eps", None)
case("LayerNorm size 0", lambda: nn.LayerNorm(0), ValueError, r"LayerNorm: normalized_shape",
     None)
case("LayerNorm size -1", lambda: nn.LayerNorm(-1), ValueError, r"LayerNorm: normalized_shape",
     lambda: TNN.LayerNorm(-1))
case("Embedding num_embeddings -1", lambda: nn.Embedding(-1, 3), ValueError,
     r"Embedding: num_embeddings", lambda: TNN.Embedding(-1, 3))
case("Embedding padding_idx", lambda: nn.Embedding(3, 2, padding_idx=5), ValueError,
     r"Embedding: padding_idx 5", lambda: TNN.Embedding(3, 2, padding_idx=5))
case("Dropout p -0.1", lambda: nn.Dropout(-0.1), ValueError, r"Dropout: p.*-0\.1",
     lambda: TNN.Dropout(-0.1))
case("Dropout p 1.5", lambda: nn.Dropout(1.5), ValueError, r"Dropout: p.*1\.5",
     lambda: TNN.Dropout(1.5))
case("Dropout p string", lambda: nn.Dropout("0.5"), ValueError, r"Dropout: p.*'0\.5'", None)
case("RNN input_size 0", lambda: nn.RNN(0, 3), ValueError, r"RNN: input_size",
     lambda: TNN.RNN(0, 3))
case("RNN nonlinearity", lambda: nn.RNN(3, 3, nonlinearity="sigmoid"), ValueError,
     r"RNN: nonlinearity.*'sigmoid'", lambda: TNN.RNN(3, 3, nonlinearity="sigmoid"))
case("RNNCell hidden 0", lambda: nn.RNNCell(3, 0), ValueError, r"RNNCell: hidden_size", None)
case("GELU approximate", lambda: nn.GELU("x"), ValueError, r"GELU: approximate", None)
case("LeakyReLU slope string", lambda: nn.LeakyReLU("a")(T(2)), TypeError,
     r"LeakyReLU: negative_slope must be a number, got str", lambda: TNN.LeakyReLU("a")(P(2)))

# ---------------------------------------------------------------- containers
case("Sequential string", lambda: nn.Sequential(nn.Linear(2, 2), "x"), TypeError,
     r"Sequential.*str.*not a Module", lambda: TNN.Sequential(TNN.Linear(2, 2), "x"))
case("Sequential function", lambda: nn.Sequential(np.exp), TypeError,
     r"Sequential.*not a Module", lambda: TNN.Sequential(np.exp))
case("Sequential append int", lambda: nn.Sequential().append(3), TypeError,
     r"Sequential.*int.*not a Module", lambda: TNN.Sequential().append(3))
case("ModuleList int", lambda: nn.ModuleList([1]), TypeError, r"ModuleList.*int.*not a Module",
     lambda: TNN.ModuleList([1]))
case("ModuleList append", lambda: nn.ModuleList().append("x"), TypeError,
     r"ModuleList.*str.*not a Module", lambda: TNN.ModuleList().append("x"))
case("ModuleDict int", lambda: nn.ModuleDict({"a": 1}), TypeError,
     r"ModuleDict.*int.*not a Module", lambda: TNN.ModuleDict({"a": 1}))
case("ModuleList index", lambda: nn.ModuleList([nn.ReLU()])[3], IndexError,
     r"ModuleList.*index 3.*1", lambda: TNN.ModuleList([TNN.ReLU()])[3])
case("Sequential index", lambda: nn.Sequential(nn.ReLU())[2], IndexError,
     r"Sequential.*index 2.*1", lambda: TNN.Sequential(TNN.ReLU())[2])
case("register_buffer non-tensor", lambda: nn.Module().register_buffer("b", 3), TypeError,
     r"cannot assign 'int' object to buffer 'b'", lambda: TNN.Module().register_buffer("b", 3))
case("add_module non-module", lambda: nn.Module().add_module("m", 3), TypeError,
     r"int.*not a Module", lambda: TNN.Module().add_module("m", 3))
case("load_state_dict shape", lambda: nn.Linear(2, 3).load_state_dict(
     {"weight": np.zeros((2, 2)), "bias": np.zeros(3)}), RuntimeError,
     r"size mismatch for weight.*\(2, 2\).*\(3, 2\)",
     lambda: TNN.Linear(2, 3).load_state_dict(
         {"weight": torch.zeros(2, 2), "bias": torch.zeros(3)}))


# ---------------------------------------------------------------- optimizers
def _params(lib):
    return [lib.zeros(2, requires_grad=True)]


ADAMS = ["Adam", "AdamW", "Adamax", "NAdam"]
for opt in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam"]:
    def make(lib, o=opt, **kw):
        return getattr(lib.optim, o)(_params(lib), **({"lr": 0.1} | kw))

    both(f"{opt} lr -0.1", lambda lib, m=make: m(lib, lr=-0.1), ValueError,
         rf"{opt}: Invalid learning rate: -0\.1", lambda: ())
    both(f"{opt} weight_decay -1", lambda lib, m=make: m(lib, weight_decay=-1.0), ValueError,
         rf"{opt}: Invalid weight_decay value: -1", lambda: ())
    both(f"{opt} empty params", lambda lib, o=opt: getattr(lib.optim, o)([], lr=0.1),
         ValueError, rf"{opt}: .*empty parameter list", lambda: ())
    both(f"{opt} non-tensor param", lambda lib, o=opt: getattr(lib.optim, o)([1.0], lr=0.1),
         TypeError, rf"{opt}: .*optimize.*Tensors.*float", lambda: ())
    both(f"{opt} lr string", lambda lib, m=make: m(lib, lr="0.1"), TypeError,
         rf"{opt}: lr must be a number.*str", lambda: ())
    case(f"{opt} lr nan", lambda m=make: m(tl, lr=float("nan")), ValueError,
         rf"{opt}: Invalid learning rate: nan", None)
    if opt != "SGD":
        both(f"{opt} eps -1", lambda lib, m=make: m(lib, eps=-1.0), ValueError,
             rf"{opt}: Invalid epsilon value: -1", lambda: ())
    if opt in ADAMS:
        both(f"{opt} beta0 1.0", lambda lib, m=make: m(lib, betas=(1.0, 0.999)), ValueError,
             rf"{opt}: Invalid beta parameter at index 0: 1\.0", lambda: ())
        both(f"{opt} beta1 -0.1", lambda lib, m=make: m(lib, betas=(0.9, -0.1)), ValueError,
             rf"{opt}: Invalid beta parameter at index 1: -0\.1", lambda: ())
        case(f"{opt} one beta", lambda m=make: m(tl, betas=(0.9,)), ValueError,
             rf"{opt}: betas must be a tuple of 2", lambda m=make: m(torch, betas=(0.9,)))
both("SGD momentum -0.5", lambda lib: lib.optim.SGD(_params(lib), lr=0.1, momentum=-0.5),
     ValueError, r"SGD: Invalid momentum value: -0\.5", lambda: ())
both("SGD nesterov without momentum", lambda lib: lib.optim.SGD(_params(lib), lr=0.1,
     nesterov=True), ValueError, r"SGD: Nesterov momentum requires a momentum and zero "
     r"dampening", lambda: ())
both("SGD nesterov with dampening", lambda lib: lib.optim.SGD(
     _params(lib), lr=0.1, momentum=0.9, dampening=0.5, nesterov=True), ValueError,
     r"SGD: Nesterov momentum requires", lambda: ())
both("RMSprop alpha -1", lambda lib: lib.optim.RMSprop(_params(lib), alpha=-1.0), ValueError,
     r"RMSprop: Invalid alpha value: -1", lambda: ())
both("RMSprop momentum -1", lambda lib: lib.optim.RMSprop(_params(lib), momentum=-1.0),
     ValueError, r"RMSprop: Invalid momentum value: -1", lambda: ())
both("Adadelta rho 1.5", lambda lib: lib.optim.Adadelta(_params(lib), rho=1.5), ValueError,
     r"Adadelta: Invalid rho value: 1\.5", lambda: ())
both("Adagrad lr_decay -1", lambda lib: lib.optim.Adagrad(_params(lib), lr_decay=-1.0),
     ValueError, r"Adagrad: Invalid lr_decay value: -1", lambda: ())
both("Adagrad initial_accumulator_value -1", lambda lib: lib.optim.Adagrad(
     _params(lib), initial_accumulator_value=-1.0), ValueError,
     r"Adagrad: Invalid initial_accumulator_value value: -1", lambda: ())
both("SGD single tensor", lambda lib: lib.optim.SGD(lib.zeros(2, requires_grad=True), lr=0.1),
     TypeError, r"SGD: params.*iterable.*Tensor", lambda: ())
both("SGD no lr keyword default ok, but group without params",
     lambda lib: lib.optim.SGD([{"lr": 0.1}], lr=0.1), KeyError, r"SGD: .*params", lambda: ())
case("LBFGS history_size 0", lambda: optim.LBFGS(_params(tl), history_size=0), ValueError,
     r"LBFGS: Invalid history_size", None)
case("SGD duplicate param", lambda: optim.SGD([_params(tl)[0]] * 2, lr=0.1), ValueError,
     r"SGD: .*appears twice", None)

# ---------------------------------------------------------------- metrics
LABELS = [0, 1, 1, 0]
for metric in ("accuracy", "precision", "recall", "f1_score", "confusion_matrix"):
    fn = getattr(M, metric)
    case(f"{metric} length mismatch", lambda f=fn: f([0, 1, 1], [0, 1]), ValueError,
         rf"{metric}.*3.*2", None)
    case(f"{metric} empty", lambda f=fn: f([], []), ValueError, rf"{metric}.*empty", None)
    case(f"{metric} NaN pred", lambda f=fn: f(np.array([[0.1, np.nan], [0.5, 0.2]]), [0, 1]),
         M.NonFinitePredictionError, rf"{metric}.*NaN", None)
    case(f"{metric} float target", lambda f=fn: f([0, 1, 1], [0.0, 0.5, 1.0]), ValueError,
         rf"{metric}.*target.*0\.5", None)
    case(f"{metric} negative target", lambda f=fn: f([0, 1, 1], [0, -1, 1]), ValueError,
         rf"{metric}.*target.*-1", None)
    case(f"{metric} negative pred label", lambda f=fn: f([0, -2, 1], [0, 1, 1]), ValueError,
         rf"{metric}.*pred.*-2", None)
    case(f"{metric} target out of range of scores",
         lambda f=fn: f(np.eye(3)[[0, 1, 2]], [0, 1, 3]), ValueError, rf"{metric}: target holds the label 3 at index 2, but pred has scores for 3 classes",
         None)
    case(f"{metric} 3-D pred", lambda f=fn: f(np.ones((2, 2, 2)), [0, 1]), ValueError,
         rf"{metric}.*pred.*\(2, 2, 2\)", None)
    case(f"{metric} 2-D target", lambda f=fn: f([0, 1], [[0, 1]]), ValueError,
         rf"{metric}.*target.*\(1, 2\)", None)
    case(f"{metric} string pred", lambda f=fn: f("01", [0, 1]), TypeError, rf"{metric}.*pred.*str",
         None)
    case(f"{metric} ragged pred", lambda f=fn: f([[0.1, 0.9], [0.5]], [0, 1]), ValueError,
         rf"{metric}.*pred.*ragged", None)
    case(f"{metric} inf target", lambda f=fn: f([0, 1], [0.0, np.inf]), ValueError,
         rf"{metric}.*target", None)
case("r2_score shape mismatch", lambda: M.r2_score(np.ones((2, 3)), np.ones((3, 2))),
     ValueError, r"r2_score.*\(2, 3\).*\(3, 2\)", None)
case("r2_score empty", lambda: M.r2_score([], []), ValueError, r"r2_score.*empty", None)
case("r2_score NaN pred", lambda: M.r2_score([np.nan, 1.0], [1.0, 2.0]),
     M.NonFinitePredictionError, r"r2_score: pred contains nan at index \(0,\)", None)
case("r2_score one sample", lambda: M.r2_score([1.0], [1.0]), ValueError,
     r"r2_score: needs at least two samples, got 1", None)
case("f1_score average", lambda: M.f1_score([0, 1], [0, 1], average="samples"), ValueError,
     r"f1_score.*average.*'samples'", None)
case("precision binary with 3 classes", lambda: M.precision([0, 1, 2], [0, 1, 2],
     average="binary"), ValueError, r"precision: average='binary' needs two classes.*\[0, 1, 2\]", None)
case("accuracy bool-string target", lambda: M.accuracy([0, 1], ["a", "b"]), TypeError,
     r"accuracy.*target.*dtype", None)


# ---------------------------------------------------------------- DataLoader collation
class _Ragged:
    def __init__(self, samples):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        return self.samples[i]


case("DataLoader ragged arrays", lambda: next(iter(DataLoader(
     _Ragged([np.zeros(3), np.zeros(3), np.zeros(4)]), batch_size=3))), ValueError,
     r"DataLoader: batch 0: cannot batch dataset\[2\] with dataset\[0\]: shape \(4,\) .*\(3,\)", lambda: next(iter(torch.utils.data.DataLoader(
         _Ragged([torch.zeros(3), torch.zeros(3), torch.zeros(4)]), batch_size=3))))
case("DataLoader ragged tuple field", lambda: next(iter(DataLoader(
     _Ragged([(np.zeros(2), 0), (np.zeros(5), 1)]), batch_size=2))), ValueError,
     r"dataset\[1\] with dataset\[0\], field \[0\]: shape \(5,\) .*\(2,\)", lambda: next(iter(torch.utils.data.DataLoader(
         _Ragged([(torch.zeros(2), 0), (torch.zeros(5), 1)]), batch_size=2))))
case("DataLoader tuple length", lambda: next(iter(DataLoader(
     _Ragged([(1, 2), (1, 2, 3)]), batch_size=2))), ValueError, r"dataset\[1\] with dataset\[0\]: 3 fields .* 2",
     lambda: next(iter(torch.utils.data.DataLoader(_Ragged([(1, 2), (1, 2, 3)]),
                                                   batch_size=2))))
case("DataLoader dict keys", lambda: next(iter(DataLoader(
     _Ragged([{"a": 1}, {"b": 2}]), batch_size=2))), ValueError, r"dataset\[1\] with dataset\[0\]: keys \['b'\] .*\['a'\]",
     lambda: next(iter(torch.utils.data.DataLoader(_Ragged([{"a": 1}, {"b": 2}]),
                                                   batch_size=2))))
case("DataLoader object sample", lambda: next(iter(DataLoader(
     _Ragged([object(), object()]), batch_size=2))), TypeError, r"cannot batch dataset\[0\]: it is a object",
     lambda: next(iter(torch.utils.data.DataLoader(_Ragged([object(), object()]),
                                                   batch_size=2))))
case("DataLoader batch_size 0", lambda: DataLoader(_Ragged([1, 2]), batch_size=0), ValueError,
     r"DataLoader: batch_size.*0", lambda: torch.utils.data.DataLoader(_Ragged([1, 2]),
                                                                       batch_size=0))
case("DataLoader not a dataset", lambda: DataLoader(3), TypeError, r"DataLoader.*dataset",
     lambda: next(iter(torch.utils.data.DataLoader(3))))
case("TensorDataset lengths", lambda: tl.data.TensorDataset(T(3), T(4)), ValueError,
     r"TensorDataset.*3.*4", lambda: torch.utils.data.TensorDataset(P(3), P(4)))
case("TensorDataset index", lambda: tl.data.TensorDataset(T(3))[3], IndexError,
     r"index 3.*3", lambda: torch.utils.data.TensorDataset(P(3))[3])
case("random_split lengths", lambda: tl.data.random_split(tl.data.TensorDataset(T(4)), [1, 2]),
     ValueError, r"random_split: lengths \[1, 2\] add up to 3, but the dataset has 4",
     lambda: torch.utils.data.random_split(torch.utils.data.TensorDataset(P(4)), [1, 2]))


@pytest.mark.parametrize("ours,exc,pattern,theirs", CASES)
def test_bad_input_gets_a_named_error(ours, exc, pattern, theirs):
    with pytest.raises(exc) as info:
        ours()
    message = str(info.value)
    assert re.search(pattern, message, re.S), f"message {message!r} !~ {pattern!r}"
    if theirs is not None:
        with pytest.raises(TORCH_ERRORS):
            theirs()


def test_the_table_is_large():
    assert len(CASES) >= 300
