"""The "Neural Networks" tutorial's walk back through the graph from the loss."""
# ruff: noqa: PLR0402  (written as PyTorch's tutorials write it)
import torch
import torch.nn as nn
import torch.nn.functional as F
from helpers import init_params, randn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        return self.fc2(x)


net = init_params(Net(), seed=3)
print(net)
params = list(net.parameters())
print(len(params))
print(params[0].size())

input = randn(1, 4, seed=4)
out = net(input)
print(out)

output = net(input)
target = randn(2, seed=5).view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)
print(loss)
print(loss.grad_fn)  # MSELoss
print(loss.grad_fn.next_functions[0][0])  # Linear
print(loss.grad_fn.next_functions[0][0].next_functions[0][0])  # ReLU


def walk(fn, depth=0):
    if fn is None:
        return
    print("  " * depth + fn.name())
    for nxt, _ in fn.next_functions:
        walk(nxt, depth + 1)


walk(loss.grad_fn)
leaf = [f for f, _ in loss.grad_fn.next_functions[0][0].next_functions if f is not None]
print([type(f).__name__ for f in leaf])

net.zero_grad()
print("conv1.bias.grad before backward")
print(net.fc1.bias.grad)
loss.backward()
print("conv1.bias.grad after backward")
print(net.fc1.bias.grad)

learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)
print(net.fc2.weight)

a = torch.tensor([2.0, 3.0], requires_grad=True)
c = a * a
c += c + 1
c.sum().backward()
print(c.grad_fn.name(), a.grad)
