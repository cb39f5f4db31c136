"""Updating parameters through .data, as older tutorials and many scripts do."""
import torch
from helpers import randn

w = randn(3, 2, seed=70).requires_grad_()
x = randn(5, 3, seed=71)
for step in range(3):
    loss = (x @ w).pow(2).mean()
    loss.backward()
    w.data -= 0.1 * w.grad
    w.grad.data.zero_()
    print(step, round(loss.item(), 6), round(w.data.norm().item(), 6))

p = torch.nn.Parameter(torch.zeros(2, 2))
p.data.copy_(torch.ones(2, 2))
print(p, p.data.requires_grad, p.data.is_leaf)
p.data = torch.full((2, 2), 3.0)
print(p.sum().item())
y = p.data
y += 1
print(p[0, 0].item())
q = p.detach()
q.mul_(2)
print(p[0, 0].item(), q.requires_grad)
p.grad = torch.ones(2, 2)
p.grad.zero_()
print(p.grad)

c = torch.tensor([1.0, 2.0], requires_grad=True)
d = c * 2
d.data.mul_(10)
print(d)
