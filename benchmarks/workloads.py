"""The networks the benchmarks time, written once for both libraries.

Every builder takes the `nn` namespace (`tinygrad_lr.nn` or `torch.nn`: the APIs match), so
the two models are the same code; `pair` builds both and copies PyTorch's initial weights
into ours through the state dict. A training step is zero_grad, forward, loss, backward,
optimizer step.
"""
import numpy as np


# ------------------------------------------------------------------ models
def mlp(m, sizes, activation="ReLU"):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [m.Linear(a, b), getattr(m, activation)()]
    return m.Sequential(*layers[:-1])


def small_cnn(m):
    """conv8-pool-conv16-pool-linear on 1x28x28 (the CNN of the first benchmark round)."""
    return m.Sequential(m.Conv2d(1, 8, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                        m.Conv2d(8, 16, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                        m.Flatten(), m.Linear(16 * 7 * 7, 10))


def lenet5(m):
    """LeCun's LeNet-5 on 1x28x28 (padding 2 in the first layer stands in for 32x32)."""
    return m.Sequential(m.Conv2d(1, 6, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
                        m.Conv2d(6, 16, 5), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
                        m.Linear(16 * 5 * 5, 120), m.ReLU(), m.Linear(120, 84), m.ReLU(),
                        m.Linear(84, 10))


def conv_bn_net(m):
    """Conv(3->32)-BN-ReLU-pool-Conv(32->64)-BN-ReLU-pool-Linear on 3x32x32."""
    return m.Sequential(m.Conv2d(3, 32, 3, padding=1), m.BatchNorm2d(32), m.ReLU(),
                        m.MaxPool2d(2), m.Conv2d(32, 64, 3, padding=1), m.BatchNorm2d(64),
                        m.ReLU(), m.MaxPool2d(2), m.Flatten(), m.Linear(64 * 8 * 8, 10))


def conv_net(m, channels):
    """Conv(3->C)-ReLU-pool-Conv(C->C)-ReLU-pool-Linear on 3x32x32: the scaling tables' net."""
    return m.Sequential(m.Conv2d(3, channels, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                        m.Conv2d(channels, channels, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                        m.Flatten(), m.Linear(channels * 8 * 8, 10))


def gru_classifier(m, vocab=1000, embed=32, hidden=64, classes=4):
    """Embedding -> 2-layer GRU (batch_first) -> last layer's final hidden state -> Linear."""
    class GRUClassifier(m.Module):
        def __init__(self):
            super().__init__()
            self.embed = m.Embedding(vocab, embed)
            self.gru = m.GRU(embed, hidden, num_layers=2, batch_first=True)
            self.head = m.Linear(hidden, classes)

        def forward(self, tokens):
            _, h_n = self.gru(self.embed(tokens))
            return self.head(h_n[-1])
    return GRUClassifier()


# ------------------------------------------------------------------ training steps
OPTIMIZERS = {
    "sgd": lambda lib, params: lib.optim.SGD(params, lr=0.01),
    "sgd_momentum": lambda lib, params: lib.optim.SGD(params, lr=0.01, momentum=0.9),
    "adam": lambda lib, params: lib.optim.Adam(params, lr=1e-3),
    "adamw": lambda lib, params: lib.optim.AdamW(params, lr=1e-3, weight_decay=0.01),
}


def training_step(lib, model, x, y, optimizer="sgd", loss="cross_entropy"):
    """A closure running one zero_grad / forward / loss / backward / step of `model`."""
    opt = OPTIMIZERS[optimizer](lib, model.parameters())
    loss_fn = getattr(lib.nn.functional, loss)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def copy_weights(ours, theirs):
    """Give our model PyTorch's initial parameters and buffers."""
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


def pair(build, torch):
    """(our model, PyTorch's model or None) built by `build(nn)`, with the same weights."""
    import tinygrad_lr as tl

    tl.manual_seed(0)
    ours = build(tl.nn)
    theirs = None
    if torch is not None:
        torch.manual_seed(0)
        theirs = build(torch.nn)
        copy_weights(ours, theirs)
    return ours, theirs


def classification_data(x_shape, classes=10, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(x_shape).astype(dtype), rng.integers(0, classes, x_shape[0])


def step_pair(build, x, y, torch, optimizer="sgd", loss="cross_entropy"):
    """(our training step, PyTorch's or None) on the same model, weights and batch."""
    import tinygrad_lr as tl

    ours, theirs = pair(build, torch)
    step = training_step(tl, ours, tl.tensor(x), tl.tensor(y), optimizer, loss)
    if theirs is None:
        return step, None
    return step, training_step(torch, theirs, torch.from_numpy(x), torch.from_numpy(y),
                               optimizer, loss)
