"""Visualisation: the computation graph, the chain rule written out step by step, and plots
of training runs (plots need matplotlib: pip install tinygrad-lr[plot])."""
from .graph import Graph, draw_graph, render_graph
from .plots import (loss_landscape, plot_grad_norms, plot_history, plot_loss_curves,
                    plot_loss_landscape, plot_lr_find)
from .trace import BackwardStep, BackwardTrace, step_backward, trace_backward

__all__ = ["BackwardStep", "BackwardTrace", "Graph", "draw_graph", "loss_landscape",
           "plot_grad_norms", "plot_history", "plot_loss_curves", "plot_loss_landscape",
           "plot_lr_find", "render_graph", "step_backward", "trace_backward"]
