"""Deterministic data and weights for the compatibility programs.

Each program runs twice, under PyTorch and under tinygrad_lr (as `torch`). The two draw
different random numbers from `torch.randn`, so the data and the starting weights come from
numpy with a fixed seed and are copied in with PyTorch's own calls (`torch.from_numpy`,
`param.copy_`): the same program then starts from the same numbers on both.
"""
import numpy as np
import torch


def randn(*shape, seed=0, dtype=np.float32):
    """A tensor of standard normal values, the same on both backends."""
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def rand_labels(n, classes, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, classes, n))


def init_params(model, seed=0):
    """Fill every parameter with U(-1, 1) / sqrt(fan_in), as PyTorch's default scale."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for _, p in model.named_parameters():
            fan_in = int(np.prod(p.shape[1:])) if p.dim() > 1 else p.shape[0]
            values = rng.uniform(-1, 1, tuple(p.shape)) / np.sqrt(max(fan_in, 1))
            p.copy_(torch.from_numpy(values.astype(np.float32)))
    return model
