"""In-place operations in a graph: recorded on non-leaves, refused on leaves that require
grad, and an error at backward when a saved tensor was changed."""
import torch

a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([3.0, 4.0], requires_grad=True)
c = a + b
c += c + 1
c.sum().backward()
print(a.grad, b.grad)

x = torch.tensor([0.5, -1.0], requires_grad=True)
y = x * 2
y.relu_()
y.sum().backward()
print(x.grad)

x = torch.tensor([0.5, -1.0], requires_grad=True)
s = x.sigmoid()
s.mul_(2)
try:
    s.sum().backward()
except RuntimeError as e:
    print("RuntimeError", "modified by an inplace operation" in str(e) or "version" in str(e))

try:
    x.add_(1)
except RuntimeError:
    print("leaf refused")
with torch.no_grad():
    x.add_(1)
print(x)

z = torch.zeros(3, requires_grad=True)
h = z.clone()
h[0] = 5.0
(h * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
print(z.grad)
