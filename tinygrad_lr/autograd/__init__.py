"""The tape: graph nodes (Function + ctx), grad mode, the engine, functional API, gradcheck."""
from .anomaly import detect_anomaly
from .function import Function, Node
from .functional import grad, hessian, hvp, jacobian, jvp, vjp
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import (GradcheckError, GradcheckReport, gradcheck, gradcheck_model,
                        gradcheck_report, gradgradcheck)

__all__ = ["Function", "Node", "grad", "jacobian", "hessian", "vjp", "jvp", "hvp",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "detect_anomaly", "gradcheck", "gradgradcheck", "gradcheck_report", "gradcheck_model",
           "GradcheckError", "GradcheckReport"]
