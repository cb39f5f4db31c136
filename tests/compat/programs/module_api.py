"""The nn.Module API beyond forward: apply() for initialisation, buffers, freezing, hooks,
state_dict round trips, dtype conversion, repr with extra_repr."""
# ruff: noqa: PLR0402  (written as PyTorch's tutorials write it)
import torch
import torch.nn as nn
from helpers import randn


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.bn = nn.BatchNorm1d(n)
        self.register_buffer("scale", torch.full((n,), 2.0))
        self.register_buffer("scratch", torch.zeros(n), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale

    def extra_repr(self):
        return f"scale={self.scale[0].item()}"


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.1)
        nn.init.zeros_(m.bias)


model = nn.Sequential(Block(3), nn.ReLU(), nn.Linear(3, 1))
model.apply(init_weights)
print(model)
print([n for n, _ in model.named_buffers()])
print(list(model.state_dict().keys()))
print(sum(p.numel() for p in model.parameters()))

model[0].requires_grad_(False)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))

seen = []
handle = model[2].register_forward_hook(lambda mod, inp, out: seen.append(tuple(out.shape)))
x = randn(4, 3, seed=60)
out = model(x)
handle.remove()
model(x)
print(seen, out.sum().item())

sd = model.state_dict()
print(sd["0.scale"].requires_grad, type(sd["2.weight"]).__name__)
model2 = nn.Sequential(Block(3), nn.ReLU(), nn.Linear(3, 1))
result = model2.load_state_dict(sd)
print(result.missing_keys, result.unexpected_keys)
model2.eval()
model.eval()
print(torch.allclose(model(x), model2(x)))

model2.double()
print(model2[2].weight.dtype, model2[0].bn.num_batches_tracked.dtype)
print(model2[0].bn.running_mean.dtype)
model2.float()
print(model2.training, model2.train().training, model2[0].training)
print(model.get_submodule("0.fc"), model.get_parameter("2.bias").shape)
print(nn.ModuleList([nn.Linear(2, 2) for _ in range(3)]))
ml = nn.ModuleDict({"a": nn.Tanh(), "b": nn.Sigmoid()})
print(list(ml.keys()), ml["b"])
pl = nn.ParameterList([nn.Parameter(torch.ones(2)) for _ in range(2)])
print(len(list(pl.parameters())))
