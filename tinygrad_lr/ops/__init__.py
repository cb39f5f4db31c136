"""Differentiable primitives, one Function per op: elementwise, reduce, movement, linalg.

Composite operations (mean, var, std, square, ...) are built from these in tensor.py and
so get their gradients - first and higher order - for free.
"""
