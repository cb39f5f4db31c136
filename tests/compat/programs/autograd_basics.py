"""In the style of PyTorch's "Automatic differentiation with torch.autograd" tutorial."""
import torch
from helpers import randn

x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = randn(5, 3, seed=1).requires_grad_()
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")

loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

# torch.autograd.grad and higher derivatives
t = torch.tensor([0.5, 1.5], requires_grad=True)
f = (t ** 3).sum()
(g,) = torch.autograd.grad(f, t, create_graph=True)
(h,) = torch.autograd.grad(g.sum(), t)
print(g, h)

from torch.autograd.functional import hessian, jacobian

print(jacobian(lambda u: u ** 2, torch.tensor([1.0, 2.0])))
print(hessian(lambda u: (u ** 3).sum(), torch.tensor([1.0, 2.0])))

with torch.inference_mode():
    q = t * 2
print(q.requires_grad, torch.is_grad_enabled())
