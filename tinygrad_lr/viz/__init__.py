"""Visualisation: the computation graph, the chain rule written out step by step, and plots
of training runs (plots need matplotlib: pip install tinygrad-lr[plot])."""
from .graph import Graph, draw_graph, render_graph
from .plots import (
                    X_AXES,
                    loss_axis,
                    loss_landscape,
                    lr_schedule,
                    optimizer_paths,
                    parameter_grad_norms,
                    plot_decision_boundary,
                    plot_grad_norms,
                    plot_history,
                    plot_layer_grad_norms,
                    plot_loss_curves,
                    plot_loss_function,
                    plot_loss_landscape,
                    plot_lr_find,
                    plot_lr_schedule,
                    plot_optimizer_paths,
                    plot_sweep,
)
from .trace import BackwardStep, BackwardTrace, step_backward, trace_backward

__all__ = ["BackwardStep", "BackwardTrace", "Graph", "draw_graph", "render_graph",
           "step_backward", "trace_backward", "plot_history", "plot_loss_curves",
           "plot_lr_find", "plot_grad_norms", "loss_landscape", "plot_loss_landscape",
           "optimizer_paths", "plot_optimizer_paths", "lr_schedule", "plot_lr_schedule",
           "loss_axis", "X_AXES", "plot_sweep", "parameter_grad_norms",
           "plot_layer_grad_norms", "plot_loss_function", "plot_decision_boundary"]
