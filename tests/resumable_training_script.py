"""A training run for the kill-and-resume tests (run as a subprocess by test_resume.py).

    python resumable_training_script.py DIR [own_generator]

trains a small MLP with Dropout and BatchNorm on the moons (shuffled batches, Adam, a
per-step OneCycleLR, EarlyStopping, ModelCheckpoint, TrainingCheckpoint every 7 steps),
resuming from DIR's newest training state if there is one, and prints "step N" after
every optimizer step so the test knows when to kill it. At the end it saves the weights
and the History to DIR/final.npz and DIR/history.json.
"""
import os
import sys

import tinygrad_lr as tl
from tinygrad_lr import nn, optim
from tinygrad_lr.data import DataLoader, TensorDataset, datasets
from tinygrad_lr.optim import lr_scheduler
from tinygrad_lr.random import Generator
from tinygrad_lr.train import (
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    TrainingCheckpoint,
    fit,
)

EPOCHS = 6


def main(directory, own_generator=False):
    tl.manual_seed(0)
    X, y = datasets.moons(240, noise=0.2, seed=0)
    Xv, yv = datasets.moons(64, noise=0.2, seed=1)
    generator = Generator().manual_seed(5) if own_generator else None
    train = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, generator=generator)
    val = DataLoader(TensorDataset(Xv, yv), batch_size=64)
    model = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(32, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=EPOCHS * len(train))
    say = LambdaCallback(on_batch_end=lambda s: print(f"step {s.iteration}", flush=True))
    callbacks = [say, EarlyStopping(patience=10),
                 ModelCheckpoint(os.path.join(directory, "best-{epoch}.npz")),
                 TrainingCheckpoint(os.path.join(directory, "state.npz"), every_n_steps=7)]
    history = fit(model, nn.CrossEntropyLoss(), opt, train, EPOCHS, scheduler=sched,
                  val_loader=val, metrics=["accuracy"], callbacks=callbacks, progress=False,
                  clip_grad_norm=1.0, resume_from="last")
    tl.save(model.state_dict(), os.path.join(directory, "final.npz"))
    history.to_json(os.path.join(directory, "history.json"))
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], own_generator=len(sys.argv) > 2)
