"""Differentiable primitives: every Function of the library, one class per op, grouped by
kind. Each has its forward (on arrays) and its backward (with Tensor ops where it can) on
one screen.

elementwise.py  arithmetic and functions of one variable (exp, tanh, relu, where, ...)
reduce.py       sum, mean, prod, amax, norm, std, logsumexp, softmax, log_softmax, cumsum
movement.py     reshape, permute, expand, indexing, cat, pad, gather, scatter, embedding
linalg.py       matmul (also F.linear's x @ W^T + b) and einsum
conv.py         convolution and pooling (Numba kernels)
norm.py         batch and layer normalisation (Numba kernels)
rnn.py          the RNN / LSTM / GRU recurrences (BLAS + Numba kernels)
losses.py       the losses that are one node each (MSE, Huber, BCE, cross-entropy, ...)

Composites (var, square, gelu's tanh form, most losses) are built from these in tensor.py
and nn/, so their gradients - first and higher order - come from the chain rule. The plain
Tensor-op version of every fused op (conv, norms, RNNs, cross-entropy, ...) is in
nn/reference.py.
"""
