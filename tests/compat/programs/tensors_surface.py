"""The Tensor methods and torch functions small programs use beyond the basics."""
import torch

a = torch.arange(6, dtype=torch.float32).reshape(2, 3)
b = torch.arange(12, dtype=torch.float32).reshape(3, 4)
v = torch.tensor([1.0, -2.0, 3.0])

print(a.t(), a.mm(b), torch.mm(a, b))
print(a.mv(v), torch.addmm(torch.ones(2, 4), a, b))
print(torch.bmm(a.unsqueeze(0), b.unsqueeze(0)).shape)
print(a.type(torch.float64).dtype, a.type())
print(a.new_zeros(2, 2), a.new_ones(3), a.new_full((2,), 5.0), a.new_tensor([1, 2]))
print(a.numel(), a.element_size(), a.size(0), a.dim())

c = torch.zeros(3)
c.fill_(2.0)
c.add_(1.0).mul_(2.0).sub_(1.0).div_(2.0)
print(c)
c.clamp_(min=2.0, max=2.2)
print(c, c.pow_(2), c.zero_())
d = torch.tensor([-1.0, 0.5, 2.0])
print(d.clone().relu_(), d.clone().sigmoid_(), d.clone().tanh_(), d.clone().exp_())

e = torch.tensor([7, -7, 5])
print(e // 2, torch.floor_divide(e, 2), e % 3, torch.remainder(e, 3))

s = torch.tensor([3.0, 1.0, 2.0, 5.0])
values, indices = torch.sort(s)
print(values, indices, s.argsort(descending=True))
print(s.topk(2), torch.flip(s, [0]), torch.roll(s, 1))
m = torch.arange(9.0).reshape(3, 3)
print(torch.tril(m), torch.triu(m, diagonal=1), torch.diag(m), torch.trace(m))
print((m > 2).all(), (m > 7).any(), m.all(dim=0))
w = torch.tensor([1.0, float("nan"), float("inf")])
print(torch.isnan(w), torch.isinf(w), torch.isfinite(w), torch.nan_to_num(w, posinf=9.0))
print(torch.allclose(m, m + 1e-9), torch.equal(m, m.clone()))
print(torch.cumprod(torch.tensor([1.0, 2.0, 3.0]), dim=0), torch.std_mean(m, dim=0))

g = torch.empty(1000)
torch.manual_seed(0)
g.uniform_(-1, 1)
print(float(g.min()) >= -1, float(g.max()) <= 1)
g.normal_(0, 1)
print(g.shape)
