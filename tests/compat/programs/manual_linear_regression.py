"""Linear regression written out by hand, as course homework does it: standardised
features (std_mean), the normal equations' matrices with mm/t/mv, then gradient descent with
in-place parameter updates (sub_, zero_, clamp_) and mini-batches cut with // and %."""
import torch
from helpers import randn

torch.set_printoptions(precision=4)
X = randn(64, 3, seed=3) * torch.tensor([1.0, 5.0, 0.2]) + torch.tensor([0.0, 2.0, -1.0])
true_w = torch.tensor([[2.0], [-0.5], [3.0]])
y = X.mm(true_w) + 0.1 * randn(64, 1, seed=4) + 0.7

std, mean = torch.std_mean(X, dim=0)
print("mean", mean, "std", std)
Xn = (X - mean) / std
print(torch.isfinite(Xn).all(), Xn.mean(0).abs().max() < 1e-5)

# the normal equations' matrices on the standardised features, with a column of ones
A = torch.cat([Xn, torch.ones(64, 1)], dim=1).type(torch.float64)
gram, moment = A.t().mm(A), A.t().mv(y.squeeze(1).double())
print("gram trace", gram.trace(), "diag", torch.diag(gram), "moment", moment)
print("symmetric", torch.allclose(torch.triu(gram, diagonal=1), torch.tril(gram, -1).t()))

w = torch.zeros(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr, batch = 0.1, 16
n_batches = X.shape[0] // batch
for epoch in range(20):
    for i in range(n_batches):
        rows = torch.arange(X.shape[0])[(torch.arange(X.shape[0]) // batch) == i]
        xb, yb = Xn[rows], y[rows]
        pred = torch.addmm(b, xb, w)
        loss = ((pred - yb) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
            b.sub_(lr * b.grad)
            w.grad.zero_()
            b.grad.zero_()
    if epoch % 5 == 4:
        print(epoch, f"{loss.item():.5f}", epoch % 2 == 0)

with torch.no_grad():
    w_clipped = w.clone().clamp_(-1.0, 1.0)
print(w.t(), b, w_clipped.squeeze())
full = torch.addmm(b, Xn, w)
r2 = 1 - ((full - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()
print("r2", f"{r2:.4f}")
print(torch.allclose(full, Xn @ w + b), torch.equal(w.detach(), w.data))
torch.set_printoptions(profile="default")
