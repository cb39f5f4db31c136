"""Visualisation: the computation graph, a step-by-step backward trace, and plots of
training runs (plots need matplotlib: pip install tinygrad-lr[plot])."""
from .graph import BackwardTrace, draw_graph, render_graph, trace_backward
from .plots import (loss_landscape, plot_grad_norms, plot_history, plot_loss_curves,
                    plot_loss_landscape, plot_lr_find)

__all__ = ["draw_graph", "render_graph", "trace_backward", "BackwardTrace", "plot_history",
           "plot_loss_curves", "plot_lr_find", "plot_grad_norms", "loss_landscape",
           "plot_loss_landscape"]
