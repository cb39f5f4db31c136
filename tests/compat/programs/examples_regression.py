"""pytorch/examples' regression/main.py, trimmed: fit a degree-4 polynomial with one Linear
layer, features built with torch.cat of powers, smooth L1 loss, and the update written as
`param.data.add_(-lr * param.grad)`; then the old-tutorial spellings still seen in course
code (Variable, @torch.no_grad without parentheses, .type(), .data.numpy())."""
import numpy as np
import torch
import torch.nn.functional as F
from helpers import init_params, randn
from torch.autograd import Variable

POLY_DEGREE = 4
W_target = torch.tensor([[0.5], [-1.2], [0.3], [2.0]])
b_target = torch.tensor([0.7])


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    """Approximated function."""
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    """Creates a string description of a polynomial."""
    result = "y = "
    for i, w in enumerate(W):
        result += "{:+.2f} x^{} ".format(w, i + 1)
    result += "{:+.2f}".format(b[0])
    return result


def get_batch(batch_size=32, seed=0):
    """Builds a batch i.e. (x, f(x)) pair."""
    random = randn(batch_size, seed=seed) * 0.5
    x = make_features(random)
    y = f(x)
    return x, y


fc = init_params(torch.nn.Linear(W_target.size(0), 1), seed=8)
for batch_idx in range(1, 301):
    batch_x, batch_y = get_batch(seed=batch_idx)
    fc.zero_grad()
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()
    output.backward()
    for param in fc.parameters():
        param.data.add_(-0.1 * param.grad)
    if batch_idx % 100 == 0:
        print(batch_idx, f"{loss:.6f}")

print("==> Learned function:\t", poly_desc(fc.weight.view(-1), fc.bias))
print("==> Actual function:\t", poly_desc(W_target.view(-1), b_target))

# old-style spellings
x = Variable(torch.ones(2, 2), requires_grad=True)
y = (x * 3).sum()
y.backward()
print(x.grad, x.grad.data.numpy().dtype == np.float32, x.type(), x.data.type(torch.IntTensor))


@torch.no_grad
def evaluate(model, inputs):
    return model(inputs), torch.is_grad_enabled()


out, enabled = evaluate(fc, get_batch(4, seed=99)[0])
print(out.shape, out.requires_grad, enabled)
mask = torch.tensor([3, 5, 6]) & 1
print(mask, mask.bool() | torch.tensor([False, True, False]), ~torch.tensor([True, False]))
