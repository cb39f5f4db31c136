"""The graph that autograd records, one layer below the ops.

grad_mode.py    whether ops record nodes (thread-local, as in PyTorch)
tensor_base.py  what autograd needs to know about a tensor (array, grad, version counter)
function.py     Node (the recorded op, its `ctx`) and Function (forward + backward)
engine.py       the backward walk: the chain rule, one node at a time
"""
