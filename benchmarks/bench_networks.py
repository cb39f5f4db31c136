"""The networks users build next, ours vs PyTorch in the same run (issue 11's suite).

Each row is one training step (zero_grad, forward, loss, backward, optimizer step) or one
call, with the same model, weights and data on both sides (`workloads.py`), float32 unless
the row says float64, PyTorch on the same thread count; median over interleaved rounds
(`common.compare`). What each row measures is described in benchmarks/README.md.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W  # noqa: E402
from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

TARGET = 1.0


def lenet_step(torch, batch):
    x, y = W.classification_data((batch, 1, 28, 28))
    return W.step_pair(W.lenet5, x, y, torch, "sgd_momentum")


def conv_bn_step(torch, batch=32):
    x, y = W.classification_data((batch, 3, 32, 32))
    return W.step_pair(W.conv_bn_net, x, y, torch, "adam")


def gru_classifier_step(torch, batch=32, seq=40, vocab=1000):
    tokens = np.random.default_rng(0).integers(0, vocab, (batch, seq))
    labels = np.random.default_rng(1).integers(0, 4, batch)
    return W.step_pair(lambda m: W.gru_classifier(m, vocab), tokens, labels, torch, "adam")


def teaching_mlp_step(torch):
    """2-16-16-1 tanh MLP in float64 on 8 points, MSE, plain SGD: a classroom graph."""
    import tinygrad_lr as tl

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 2)), rng.standard_normal((8, 1))
    build = lambda m: W.mlp(m, (2, 16, 16, 1), "Tanh")  # noqa: E731
    ours, theirs = W.pair(build, torch)
    ours.double()
    step = W.training_step(tl, ours, tl.tensor(x), tl.tensor(y), "sgd", "mse_loss")
    if theirs is None:
        return step, None
    theirs.double()
    return step, W.training_step(torch, theirs, torch.from_numpy(x), torch.from_numpy(y),
                                 "sgd", "mse_loss")


# -------------------------------------------------------- higher-order autograd
def _mlp_params(lib, flat, x):
    """A 2-16-1 tanh MLP whose 65 parameters are the entries of one flat vector."""
    w1, b1 = flat[:32].reshape(16, 2), flat[32:48]
    w2, b2 = flat[48:64].reshape(1, 16), flat[64:65]
    return (x @ w1.T + b1).tanh() @ w2.T + b2


def autograd_calls(torch):
    """(name, ours, theirs) for jacobian, hessian and gradcheck, float64."""
    import tinygrad_lr as tl

    rng = np.random.default_rng(0)
    flat = rng.standard_normal(65) * 0.5
    x, y = rng.standard_normal((8, 2)), rng.standard_normal((8, 1))
    pred = rng.standard_normal((16, 4))
    target = rng.standard_normal((16, 4))

    def calls(lib, functional, gradcheck):
        xs, ys = lib.tensor(x), lib.tensor(y)

        def outputs(p):
            return _mlp_params(lib, p, xs).reshape(-1)

        def mse(p):
            return ((_mlp_params(lib, p, xs) - ys) ** 2).mean()

        def custom_loss(p, t):
            """a smooth custom loss: pseudo-Huber of the error plus a sigmoid penalty"""
            d = p - t
            return ((1 + d * d).sqrt() - 1 + 0.1 * p.sigmoid()).mean()

        start = lib.tensor(flat)
        pt = lib.tensor(pred, requires_grad=True)
        tt = lib.tensor(target, requires_grad=True)
        return {
            "jacobian of a 2-16-1 tanh MLP's 8 outputs wrt its 65 params":
                lambda: functional.jacobian(outputs, start),
            "hessian of a 2-16-1 tanh MLP's MSE wrt its 65 params (65x65)":
                lambda: functional.hessian(mse, start),
            "gradcheck of a custom pseudo-Huber loss, (16,4) x2, float64":
                lambda: gradcheck(custom_loss, (pt, tt)),
        }

    ours = calls(tl, tl.autograd, tl.autograd.gradcheck)
    theirs = calls(torch, torch.autograd.functional, torch.autograd.gradcheck) \
        if torch is not None else {}
    return [(name, fn, theirs.get(name)) for name, fn in ours.items()]


# -------------------------------------------------------- data loading
def digits_epoch(torch, train):
    """One epoch over the built-in digits (1797 samples), batch 32, shuffled; with `train`
    each batch also runs a 64-32-10 MLP's Adam step."""
    import tinygrad_lr as tl

    X, y = tl.data.datasets.load_digits()
    ours_model, theirs_model = W.pair(lambda m: W.mlp(m, (64, 32, 10)), torch)

    def epoch_fn(lib, data, model):
        data_module = tl.data if lib is tl else lib.utils.data
        loader = data_module.DataLoader(data, batch_size=32, shuffle=True)
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)

        def epoch():
            for xb, yb in loader:
                if train:
                    opt.zero_grad()
                    lib.nn.functional.cross_entropy(model(xb), yb).backward()
                    opt.step()
        return epoch

    ours = epoch_fn(tl, tl.data.TensorDataset(X, y), ours_model)
    theirs = None
    if torch is not None:
        dataset = torch.utils.data.TensorDataset(torch.from_numpy(X.numpy().copy()),
                                                 torch.from_numpy(y.numpy().copy()))
        theirs = epoch_fn(torch, dataset, theirs_model)
    return ours, theirs


def network_cases(torch):
    """(name, ours, theirs, target, unit) for every row of this benchmark."""
    cases = [
        ("LeNet-5 batch 64, SGD momentum step", *lenet_step(torch, 64)),
        ("LeNet-5 batch 256, SGD momentum step", *lenet_step(torch, 256)),
        ("Conv32-BN-ReLU-pool-Conv64-BN-ReLU-pool-Linear 3x32x32 b32 Adam",
         *conv_bn_step(torch)),
        ("Embedding + 2-layer GRU(32->64) classifier, b32 seq40, Adam",
         *gru_classifier_step(torch)),
        ("2-16-16-1 tanh MLP float64, 8 points, MSE + SGD step", *teaching_mlp_step(torch)),
    ]
    cases = [(name, ours, theirs, TARGET, "ms") for name, ours, theirs in cases]
    cases += [(name, ours, theirs, TARGET, "ms") for name, ours, theirs in autograd_calls(torch)]
    cases.append(("DataLoader epoch over digits, batch 32, shuffled (loading only)",
                  *digits_epoch(torch, train=False), TARGET, "ms"))
    cases.append(("DataLoader epoch over digits + MLP 64-32-10 Adam steps",
                  *digits_epoch(torch, train=True), TARGET, "ms"))
    return cases


def main():
    torch = torch_or_none()
    rows = []
    for name, ours, theirs, target, unit in network_cases(torch):
        ours_ms, theirs_ms = compare(ours, theirs)
        rows.append(row(name, ours_ms, theirs_ms, target=target, unit=unit))
    print_table(rows, "Networks users build (median ms; ratio = ours / PyTorch)")
    print("json:", write_json(rows, "networks"))
    return rows


if __name__ == "__main__":
    main()
