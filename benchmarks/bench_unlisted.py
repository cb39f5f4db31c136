"""Networks outside issue 11's suite, ours vs PyTorch in the same run: the ones users write
next (a small ResNet, a VGG stack, a 1-D conv net, an LSTM language model, a self-attention
block, a BatchNorm1d MLP with AdamW, a ConvTranspose2d autoencoder, a depthwise-separable
net, an LSTM cell written by hand).

Each row is one training step (zero_grad, forward, loss, backward, optimizer step), float32,
with the same model code, weights and batch on both sides; before timing, the loss and every
parameter gradient of one step are checked against PyTorch's (with dropout off, since the
two libraries draw different masks). Median over interleaved rounds (`common.compare`).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W  # noqa: E402
from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

TARGET = 1.0


# ------------------------------------------------------------------ models
def small_resnet(m, drop=0.0):
    """Stem conv 3->16, a BasicBlock 16->16, a stride-2 BasicBlock 16->32 (1x1 conv + BN
    on the skip), AdaptiveAvgPool2d(1), Linear: on 3x32x32."""
    class BasicBlock(m.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = m.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = m.BatchNorm2d(cout)
            self.conv2 = m.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = m.BatchNorm2d(cout)
            self.relu = m.ReLU()
            self.down = None
            if stride != 1 or cin != cout:
                self.down = m.Sequential(m.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                         m.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            skip = x if self.down is None else self.down(x)
            return self.relu(out + skip)

    return m.Sequential(m.Conv2d(3, 16, 3, padding=1, bias=False), m.BatchNorm2d(16), m.ReLU(),
                        BasicBlock(16, 16, 1), BasicBlock(16, 32, 2),
                        m.AdaptiveAvgPool2d(1), m.Flatten(), m.Linear(32, 10))


def vgg_stack(m, drop=0.5):
    """[conv3x3-ReLU] x2 - MaxPool, twice (16, 32 channels), Dropout-Linear-ReLU-Dropout-Linear."""
    return m.Sequential(m.Conv2d(3, 16, 3, padding=1), m.ReLU(),
                        m.Conv2d(16, 16, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                        m.Conv2d(16, 32, 3, padding=1), m.ReLU(),
                        m.Conv2d(32, 32, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                        m.Flatten(), m.Dropout(drop), m.Linear(32 * 8 * 8, 128), m.ReLU(),
                        m.Dropout(drop), m.Linear(128, 10))


def conv1d_net(m, drop=0.0):
    """Conv1d(8->32, k5) - ReLU - MaxPool1d(2) - Conv1d(32->64, k5) - ReLU - MaxPool1d(2) -
    mean over time - Linear, on (N, 8, 128) sequences."""
    class GlobalAvg(m.Module):
        def forward(self, x):
            return x.mean(dim=2)

    return m.Sequential(m.Conv1d(8, 32, 5, padding=2), m.ReLU(), m.MaxPool1d(2),
                        m.Conv1d(32, 64, 5, padding=2), m.ReLU(), m.MaxPool1d(2),
                        GlobalAvg(), m.Linear(64, 10))


def lstm_lm(m, drop=0.0, vocab=1000):
    """Embedding(1000, 64) - 2-layer LSTM(128) - Linear to the vocabulary (seq-first)."""
    class LSTMLanguageModel(m.Module):
        def __init__(self):
            super().__init__()
            self.embed = m.Embedding(vocab, 64)
            self.lstm = m.LSTM(64, 128, num_layers=2)
            self.head = m.Linear(128, vocab)

        def forward(self, tokens):
            out, _ = self.lstm(self.embed(tokens))
            return self.head(out).reshape(-1, vocab)
    return LSTMLanguageModel()


def attention_block(m, drop=0.0, d=64, classes=10):
    """Single-head self-attention (q/k/v Linear, q @ k^T / sqrt(d), softmax over the last
    dim, @ v, out Linear) + residual + LayerNorm, GELU MLP + residual + LayerNorm, mean over
    the sequence, Linear; on (N, 16, 64)."""
    class Block(m.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v = m.Linear(d, d), m.Linear(d, d), m.Linear(d, d)
            self.out = m.Linear(d, d)
            self.norm1, self.norm2 = m.LayerNorm(d), m.LayerNorm(d)
            self.mlp = m.Sequential(m.Linear(d, 4 * d), m.GELU(), m.Linear(4 * d, d))
            self.head = m.Linear(d, classes)

        def forward(self, x):
            q, k, v = self.q(x), self.k(x), self.v(x)
            att = (q @ k.transpose(1, 2) / d ** 0.5).softmax(dim=-1)
            x = self.norm1(x + self.out(att @ v))
            x = self.norm2(x + self.mlp(x))
            return self.head(x.mean(dim=1))
    return Block()


def bn_mlp(m, drop=0.2):
    """Linear-BatchNorm1d-LeakyReLU-Dropout twice (256, 128), Linear, on 64 features."""
    return m.Sequential(m.Linear(64, 256), m.BatchNorm1d(256), m.LeakyReLU(0.1), m.Dropout(drop),
                        m.Linear(256, 128), m.BatchNorm1d(128), m.LeakyReLU(0.1),
                        m.Dropout(drop), m.Linear(128, 10))


def denoising_autoencoder(m, drop=0.0):
    """Conv(1->16, s2) - Conv(16->32, s2) - ConvTranspose(32->16, s2) - ConvTranspose(16->1,
    s2) - Sigmoid on 1x28x28, MSE against the clean image."""
    return m.Sequential(m.Conv2d(1, 16, 3, stride=2, padding=1), m.ReLU(),
                        m.Conv2d(16, 32, 3, stride=2, padding=1), m.ReLU(),
                        m.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1),
                        m.ReLU(),
                        m.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1),
                        m.Sigmoid())


def depthwise_separable(m, drop=0.0):
    """Conv 3->32, then two depthwise (groups=C) 3x3 + pointwise 1x1 blocks with BN-ReLU
    (32->64, then stride 2, 64->128), AdaptiveAvgPool2d(1), Linear; on 3x32x32."""
    def block(cin, cout, stride):
        return [m.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
                m.BatchNorm2d(cin), m.ReLU(), m.Conv2d(cin, cout, 1, bias=False),
                m.BatchNorm2d(cout), m.ReLU()]
    return m.Sequential(m.Conv2d(3, 32, 3, padding=1, bias=False), m.BatchNorm2d(32), m.ReLU(),
                        *block(32, 64, 1), *block(64, 128, 2),
                        m.AdaptiveAvgPool2d(1), m.Flatten(), m.Linear(128, 10))


def lstm_by_hand(m, drop=0.0, inputs=16, hidden=64, classes=10):
    """An LSTM cell written out as a student writes it: one input product for all steps, then
    a loop over x[t] (iterating the (T, B, D) tensor) with the gates sliced out of one
    product (gates[:, :H], ...), the last h into a Linear."""
    class LSTMByHand(m.Module):
        def __init__(self):
            super().__init__()
            self.ih = m.Linear(inputs, 4 * hidden)
            self.hh = m.Linear(hidden, 4 * hidden, bias=False)
            self.head = m.Linear(hidden, classes)

        def forward(self, x):
            H = hidden
            h = c = None
            for x_t in self.ih(x):
                gates = x_t if h is None else x_t + self.hh(h)
                i, f = gates[:, :H].sigmoid(), gates[:, H:2 * H].sigmoid()
                g, o = gates[:, 2 * H:3 * H].tanh(), gates[:, 3 * H:].sigmoid()
                c = i * g if c is None else f * c + i * g
                h = o * c.tanh()
            return self.head(h)
    return LSTMByHand()


# ------------------------------------------------------------------ data and steps
def _rng(seed=0):
    return np.random.default_rng(seed)


def _images(shape):
    return _rng().standard_normal(shape).astype(np.float32), _rng(1).integers(0, 10, shape[0])


def _tokens():
    return _rng().integers(0, 1000, (35, 20)), _rng(1).integers(0, 1000, 35 * 20)


def _sequences(steps=64, batch=32, inputs=16):
    """(T, B, D) float32 sequences and one class per sequence."""
    return (_rng().standard_normal((steps, batch, inputs)).astype(np.float32),
            _rng(1).integers(0, 10, batch))


def _noisy_images():
    clean = _rng().random((32, 1, 28, 28)).astype(np.float32)
    noisy = np.clip(clean + 0.3 * _rng(1).standard_normal(clean.shape), 0, 1).astype(np.float32)
    return noisy, clean


# name, builder, data, optimizer, loss
CASES = [
    ("small ResNet (2 BasicBlocks, BN, stride 2, AdaptiveAvgPool) 3x32x32 b32 SGD-m",
     small_resnet, lambda: _images((32, 3, 32, 32)), "sgd_momentum", "cross_entropy"),
    ("VGG stack (4 conv3x3, 2 MaxPool, Dropout) 3x32x32 b32 Adam",
     vgg_stack, lambda: _images((32, 3, 32, 32)), "adam", "cross_entropy"),
    ("Conv1d net (2 Conv1d, MaxPool1d, global avg) (32,8,128) Adam",
     conv1d_net, lambda: _images((32, 8, 128)), "adam", "cross_entropy"),
    ("LSTM LM (Embedding 1000x64, 2-layer LSTM 128) seq35 b20 Adam",
     lstm_lm, _tokens, "adam", "cross_entropy"),
    ("self-attention block (bmm, softmax, LayerNorm, GELU) (32,16,64) Adam",
     attention_block, lambda: _images((32, 16, 64)), "adam", "cross_entropy"),
    ("MLP 64-256-128-10 BatchNorm1d LeakyReLU Dropout b64 AdamW",
     bn_mlp, lambda: _images((64, 64)), "adamw", "cross_entropy"),
    ("denoising autoencoder (2 Conv s2, 2 ConvTranspose2d) 1x28x28 b32 Adam",
     denoising_autoencoder, _noisy_images, "adam", "mse_loss"),
    ("depthwise-separable net (groups=C, 1x1, BN) 3x32x32 b32 Adam",
     depthwise_separable, lambda: _images((32, 3, 32, 32)), "adam", "cross_entropy"),
    ("LSTM cell by hand (loop over x[t], gate slices) seq64 b32 Adam",
     lstm_by_hand, _sequences, "adam", "cross_entropy"),
]




def check_against_torch(name, build, data, loss, torch, rtol=2e-3, atol=2e-4):
    """One forward + backward of both models with dropout off: the losses and every
    parameter gradient must agree."""
    import tinygrad_lr as tl

    ours, theirs = W.pair(lambda m: build(m, drop=0.0), torch)
    x, y = data()
    ours_loss = getattr(tl.nn.functional, loss)(ours(tl.tensor(x)), tl.tensor(y))
    theirs_loss = getattr(torch.nn.functional, loss)(theirs(torch.from_numpy(x)),
                                                     torch.from_numpy(y))
    ours_loss.backward()
    theirs_loss.backward()
    np.testing.assert_allclose(ours_loss.item(), theirs_loss.item(), rtol=rtol, atol=atol,
                               err_msg=f"{name}: loss")
    theirs_grads = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_grads[pname].grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"{name}: gradient of {pname}")


def unlisted_cases(torch):
    """(name, ours, theirs) for every row, each checked against PyTorch first."""
    import tinygrad_lr as tl

    cases = []
    for name, build, data, optimizer, loss in CASES:
        if torch is not None:
            check_against_torch(name, build, data, loss, torch)
        ours_model, theirs_model = W.pair(build, torch)
        x, y = data()
        ours = W.training_step(tl, ours_model, tl.tensor(x), tl.tensor(y), optimizer, loss)
        theirs = None if torch is None else W.training_step(
            torch, theirs_model, torch.from_numpy(x), torch.from_numpy(y), optimizer, loss)
        cases.append((name, ours, theirs))
    return cases


def main():
    torch = torch_or_none()
    only = os.environ.get("BENCH_UNLISTED")  # a word of one row's name, to time just that row
    rows = []
    for name, ours, theirs in unlisted_cases(torch):
        if only and only not in name:
            continue
        ours_ms, theirs_ms = compare(ours, theirs)
        rows.append(row(name, ours_ms, theirs_ms, target=TARGET))
    print_table(rows, "Networks outside the suite (median ms; ratio = ours / PyTorch)")
    print("json:", write_json(rows, "unlisted"))
    return rows


if __name__ == "__main__":
    main()
