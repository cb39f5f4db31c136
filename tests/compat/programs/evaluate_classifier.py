"""Evaluating a classifier as the tutorials' test loops do: top-1 and top-5 accuracy from
topk, a confusion matrix and per-class accuracy from its diagonal, the most confident
mistakes by argsort, and a few tensor tests (isnan, nan_to_num, allclose)."""
import torch
import torch.nn as nn
from helpers import init_params, rand_labels, randn

torch.manual_seed(0)
classes = 7
model = init_params(nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, classes)),
                    seed=5)
x, target = randn(50, 10, seed=6), rand_labels(50, classes, seed=7)

model.eval()
with torch.no_grad():
    logits = model(x)

_, top5 = logits.topk(5, dim=1, largest=True, sorted=True)
correct = top5.t().eq(target.view(1, -1).expand_as(top5.t()))
for k in (1, 5):
    correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
    print(f"top-{k}", correct_k.mul_(100.0 / target.size(0)))

pred = logits.argmax(dim=1)
confusion = torch.zeros(classes, classes, dtype=torch.long)
for t, p in zip(target, pred):
    confusion[t.long(), p.long()] += 1
print(confusion)
print("accuracy", confusion.trace().item() / confusion.sum().item())
per_class = confusion.diag().float() / confusion.sum(1).clamp(min=1).float()
print("per class", per_class)
print("most confused", torch.triu(confusion, diagonal=1).max(), torch.tril(confusion, -1).max())

probs = logits.softmax(dim=1)
confidence, _ = probs.max(dim=1)
wrong = (pred != target).nonzero().squeeze(1)
order = confidence[wrong].argsort(descending=True)
print("confident mistakes", wrong[order][:3], confidence[wrong][order][:3])
ranked, ranks = torch.sort(probs[0], descending=True)
print(ranked, ranks, torch.roll(ranks, 1))

scores = torch.tensor([0.5, float("nan"), 2.0, float("inf")])
print(torch.isnan(scores), scores.isinf().sum(), torch.nan_to_num(scores, posinf=10.0))
print(torch.allclose(probs.sum(1), torch.ones(50)), torch.equal(pred, logits.argmax(1)))
print(torch.cumprod(torch.tensor([1.0, 0.5, 0.5, 2.0]), dim=0), 17 // torch.tensor(5), -7 % torch.tensor(3))
