"""torch.autograd's namespace: Function, grad mode, grad, jacobian, hessian, vjp, jvp, hvp, vhp,
gradcheck, gradgradcheck and detect_anomaly.

The graph machinery itself (nodes, the backward walk, grad mode) lives one layer below the
ops, in `tinygrad_lr/graph/`; this package holds the tools built on tensors.
"""
from ..compat import missing_attribute
from ..graph.function import Function, Node, once_differentiable
from ..graph.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ..tensor import Tensor
from . import functional
from .anomaly import detect_anomaly
from .functional import grad, hessian, hvp, jacobian, jvp, vhp, vjp
from .gradcheck import (
    GradcheckError,
    GradcheckReport,
    gradcheck,
    gradcheck_model,
    gradcheck_report,
    gradgradcheck,
)

__all__ = ["Function", "Node", "once_differentiable", "grad", "jacobian", "hessian", "vjp",
           "jvp", "hvp", "vhp", "functional", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "detect_anomaly", "gradcheck", "gradgradcheck",
           "gradcheck_report", "gradcheck_model", "GradcheckError", "GradcheckReport",
           "Variable"]


def Variable(data, requires_grad=False, volatile=False):
    """PyTorch's deprecated `Variable(t, requires_grad=...)`, as old tutorials write it:
    since PyTorch 0.4 a Variable is a tensor, so this is the tensor (a leaf sharing data's
    storage), requiring grad if asked."""
    out = data.detach() if isinstance(data, Tensor) else Tensor(data)
    return out.requires_grad_(True) if requires_grad else out


def __getattr__(name):
    """A PyTorch name that tinygrad_lr does not have fails saying so."""
    raise missing_attribute("torch.autograd", name, globals())
