"""A training loop as small PyTorch programs write it: a custom Dataset, DataLoader with
batching and drop_last, Adam with weight decay, a StepLR schedule, gradient clipping,
validation under no_grad, early stopping on the best state_dict."""
import copy

import numpy as np
import torch
from helpers import init_params
from torch import nn
from torch.optim.lr_scheduler import ExponentialLR, StepLR
from torch.utils.data import DataLoader, Dataset


class Regression(Dataset):
    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((n, 3)).astype(np.float32)
        self.y = (self.x @ np.array([1.5, -2.0, 0.5], np.float32) + 0.3).astype(np.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return torch.from_numpy(self.x[idx]), torch.tensor(self.y[idx])


train_set, val_set = Regression(100, seed=50), Regression(30, seed=51)
train_loader = DataLoader(train_set, batch_size=16, shuffle=False, drop_last=True)
val_loader = DataLoader(val_set, batch_size=10)
print(len(train_loader), len(val_loader))
xb, yb = next(iter(train_loader))
print(xb.shape, yb.shape, xb.dtype)

model = init_params(nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)), seed=52)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-4)
scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
loss_fn = nn.MSELoss()

best_loss, best_state = float("inf"), None
for epoch in range(8):
    model.train()
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb).squeeze(1), yb)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
    scheduler.step()
    model.eval()
    with torch.no_grad():
        val_loss = sum(loss_fn(model(xb).squeeze(1), yb).item() * len(xb)
                       for xb, yb in val_loader) / len(val_set)
    if val_loss < best_loss:
        best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
    print(f"epoch {epoch}: train {loss.item():.5f} val {val_loss:.5f} "
          f"lr {scheduler.get_last_lr()[0]:.5f} norm {float(norm):.4f}")

model.load_state_dict(best_state)
print(f"best {best_loss:.5f}", list(best_state.keys()))
print(optimizer.state_dict()["param_groups"][0]["lr"])

opt2 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
sched2 = ExponentialLR(opt2, gamma=0.9)
lrs = []
for _ in range(4):
    opt2.step()
    sched2.step()
    lrs.append(round(sched2.get_last_lr()[0], 6))
print(lrs)
