"""In the style of PyTorch's "Save and Load the Model": weights through a state_dict with
weights_only=True and a map_location, a whole model pickled and loaded back with
weights_only=False, and the refusal of a pickled model without it."""
import os
import pickle
import tempfile

import torch
from helpers import init_params, randn
from torch import nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                                      nn.MaxPool2d(2, 2))
        self.classifier = nn.Sequential(nn.Linear(4 * 4 * 4, 8), nn.ReLU(), nn.Linear(8, 5))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


x = randn(2, 3, 8, 8, seed=1)
model = init_params(Classifier(), seed=2)
model.eval()
with torch.no_grad():
    before = model(x)

with tempfile.TemporaryDirectory() as folder:
    weights = os.path.join(folder, "model_weights.pth")
    torch.save(model.state_dict(), weights)
    fresh = Classifier()
    print(fresh.load_state_dict(torch.load(weights, weights_only=True)))
    state = torch.load(weights, map_location=torch.device("cpu"))
    print(sorted(state), state["classifier.2.bias"].shape)
    fresh.eval()
    with torch.no_grad():
        print((fresh(x) - before).abs().max().item())

    whole = os.path.join(folder, "model.pth")
    torch.save(model, whole)
    try:
        torch.load(whole, weights_only=True)
    except pickle.UnpicklingError:
        print("a pickled model needs weights_only=False")
    loaded = torch.load(whole, weights_only=False)
    print(type(loaded).__name__, loaded.training)
    print(loaded)
    with torch.no_grad():
        print(loaded(x))
