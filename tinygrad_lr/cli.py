"""The command line: `python -m tinygrad_lr {demo,train,lr-find,gradcheck,bench} --help`."""
import argparse
import importlib
import importlib.util
import os
import sys
import time


class CLIError(Exception):
    """A user mistake: printed as one line, exit status 2."""


# ------------------------------------------------------------------ demo
def cmd_demo(args):
    from . import demo

    demo.main(out=args.out, quick=args.quick, plot=not args.no_plot)
    return 0


# ------------------------------------------------------------------ train / lr-find
def _config(args):
    return {"model": args.model, "dataset": args.dataset, "optimizer": args.optimizer,
            "lr": args.lr, "batch_size": args.batch_size, "epochs": args.epochs,
            "scheduler": args.scheduler, "loss": args.loss, "seed": args.seed,
            "hidden": args.hidden, "n_samples": args.n_samples}


def cmd_train(args):
    from .train import fit
    from .train.recipes import make_experiment

    ex = make_experiment(_config(args))
    cfg, model = ex["cfg"], ex["model"]
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {cfg['model']} ({n_params} parameters) on {cfg['dataset']} "
          f"({len(ex['train_loader'].dataset)} train / {len(ex['val_loader'].dataset)} val) "
          f"with {cfg['optimizer']} lr={cfg['lr']:g}, batch {cfg['batch_size']}, "
          f"{cfg['epochs']} epochs, scheduler {cfg['scheduler']}, "
          f"loss {type(ex['loss_fn']).__name__}")
    start = time.perf_counter()
    history = fit(model, ex["loss_fn"], ex["optimizer"], ex["train_loader"], cfg["epochs"],
                  scheduler=ex["scheduler"], val_loader=ex["val_loader"],
                  metrics=ex["metrics"], progress=not args.no_progress)
    elapsed = time.perf_counter() - start
    print("\nfinal report")
    last = history.epochs[-1] if history.epochs else {}
    for key, value in last.items():
        if key != "time_s":
            print(f"  {key:<14} {value:.4g}" if isinstance(value, float) else
                  f"  {key:<14} {value}")
    print(f"  {'iterations':<14} {len(history.loss)}")
    print(f"  {'time':<14} {elapsed:.1f}s")
    if history.stop_reason:
        print(f"  stopped early: {history.stop_reason}")
    if args.save_model:
        from .serialization import save

        save(model.state_dict(), args.save_model)
        print(f"model state_dict saved to {args.save_model}")
    if args.save_history:
        if args.save_history.endswith(".json"):
            history.to_json(args.save_history)
        else:
            history.to_csv(args.save_history)
        print(f"history saved to {args.save_history}")
    return 1 if history.diverged else 0


def cmd_lr_find(args):
    from .train import lr_find
    from .train.recipes import make_experiment

    ex = make_experiment(_config(args))
    result = lr_find(ex["model"], ex["loss_fn"], ex["optimizer"], ex["train_loader"],
                     start_lr=args.start_lr, end_lr=args.end_lr, num_iter=args.num_iter)
    print(f"learning-rate range test: {len(result.lrs)} steps from {result.lrs[0]:.3g} to "
          f"{result.lrs[-1]:.3g}{' (stopped: loss diverged)' if result.diverged else ''}")
    lo, hi = result.considered
    print(f"  suggestions read between {lo:.3g} and {hi:.3g} (the first "
          f"{result.skip_start} and last {result.skip_end} steps are ignored)")
    print(f"  suggested lr (steepest fall):    {result.suggested_lr:.3g}")
    print(f"  valley rule (fastai):            {result.valley_lr:.3g}")
    print(f"  lowest loss:                     {result.min_loss_lr:.3g} "
          f"(/ 10 = {result.minimum_lr:.3g})")
    if args.plot:
        result.plot(path=args.plot)
        print(f"plot written to {args.plot}")
    return 0


# ------------------------------------------------------------------ gradcheck
def _load_function(spec):
    if ":" not in spec:
        raise CLIError(f"expected module:function (e.g. mylosses:huber), got {spec!r}")
    module_name, func_name = spec.rsplit(":", 1)
    try:
        if module_name.endswith(".py"):
            loader_spec = importlib.util.spec_from_file_location(
                os.path.splitext(os.path.basename(module_name))[0], module_name)
            if loader_spec is None or not os.path.exists(module_name):
                raise ImportError(f"no file {module_name}")
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())  # find modules in the current folder
            module = importlib.import_module(module_name)
    except Exception as e:  # any failure while importing the user's code
        raise CLIError(f"cannot import {module_name!r}: {type(e).__name__}: {e}") from None
    fn = getattr(module, func_name, None)
    if not callable(fn):
        raise CLIError(f"module {module_name!r} has no function {func_name!r}")
    return fn


def _parse_shape(text):
    try:
        shape = tuple(int(s) for s in text.split(",") if s != "")
    except ValueError:
        raise CLIError(f"--shapes: {text!r} is not a shape like 4,3") from None
    if any(n <= 0 for n in shape):
        raise CLIError(f"--shapes: {text!r} has a dimension <= 0")
    return shape


def cmd_gradcheck(args):
    import numpy as np

    from .autograd.gradcheck import gradcheck_report
    from .tensor import Tensor

    fn = _load_function(args.function)
    shapes = [_parse_shape(s) for s in args.shapes]
    rng = np.random.default_rng(args.seed)
    inputs = [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    try:
        out = fn(*inputs)
    except Exception as e:
        raise CLIError(f"{args.function} failed on inputs of shapes {shapes}: "
                       f"{type(e).__name__}: {e}") from None
    if not isinstance(out, Tensor) or out.numel() != 1:
        got = f"a Tensor of shape {out.shape}" if isinstance(out, Tensor) else \
            type(out).__name__
        raise CLIError(f"{args.function} must return a scalar Tensor (a loss), got {got}")
    report = gradcheck_report(fn, inputs, eps=args.eps, atol=args.atol, rtol=args.rtol)
    print(f"{args.function} on random float64 inputs of shapes "
          f"{', '.join(str(s) for s in shapes)}: loss = {out.item():.6g}")
    print(report)
    if report.passed:
        print("the analytic gradient agrees with central finite differences")
    else:
        for r in report.inputs:
            if not r.passed:
                print(f"input {r.index}: worst element {r.worst_element}: analytic "
                      f"{r.analytic:.6g} vs numerical {r.numerical:.6g}")
    return 0 if report.passed else 1


# ------------------------------------------------------------------ bench
def cmd_bench(args):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = os.path.join(here, "benchmarks", "run_all.py")
    if not os.path.exists(script):
        raise CLIError("the benchmarks are not installed with the package: run `bench` from "
                       "a checkout of the repository (benchmarks/run_all.py next to "
                       "tinygrad_lr/)")
    sys.path.insert(0, os.path.dirname(script))  # the scripts import benchmarks/common.py
    spec = importlib.util.spec_from_file_location("run_all", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ok = module.main()  # True when every benchmark ran
    return 0 if ok or ok is None else 1


# ------------------------------------------------------------------ parser
def _add_experiment_flags(p):
    from .train.recipes import DATASETS, LOSSES, MODELS, SCHEDULERS, optimizers

    p.add_argument("--model", default="mlp", choices=MODELS, help="network (default: mlp)")
    p.add_argument("--dataset", default="digits", choices=DATASETS,
                   help="built-in data (default: digits)")
    p.add_argument("--optimizer", default="adam", choices=sorted(optimizers()),
                   help="optimizer (default: adam)")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (default: 1e-3)")
    p.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default: 32)")
    p.add_argument("--epochs", type=int, default=10, help="passes over the data (default: 10)")
    p.add_argument("--scheduler", default="none", choices=SCHEDULERS,
                   help="learning-rate schedule (default: none)")
    p.add_argument("--loss", default=None, choices=LOSSES,
                   help="loss (default: cross_entropy for classification, mse for sine)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--hidden", type=int, default=64, help="hidden units (default: 64)")
    p.add_argument("--n-samples", type=int, default=None,
                   help="use only this many samples (quick runs)")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_lr",
        description="tinygrad_lr: a small autograd framework for understanding training.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("demo", help="learning rates compared: gradient descent on a line, "
                       "an MLP on digits (under a minute)")
    p.add_argument("--out", default="demo_out", help="folder for the PNGs (default: demo_out)")
    p.add_argument("--quick", action="store_true", help="a few-second version (smaller runs)")
    p.add_argument("--no-plot", action="store_true", help="do not write PNGs")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("train", help="train a built-in model on a built-in dataset")
    _add_experiment_flags(p)
    p.add_argument("--save-model", metavar="PATH", help="write the state_dict (tl.save)")
    p.add_argument("--save-history", metavar="PATH",
                   help="write the history (.json: everything; else CSV per epoch)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("lr-find", help="learning-rate range test (model and optimizer are "
                       "restored afterwards)")
    _add_experiment_flags(p)
    p.add_argument("--start-lr", type=float, default=1e-6)
    p.add_argument("--end-lr", type=float, default=10.0)
    p.add_argument("--num-iter", type=int, default=100, help="steps (default: 100)")
    p.add_argument("--plot", metavar="PNG", help="save the loss-vs-lr plot here")
    p.set_defaults(run=cmd_lr_find)

    p = sub.add_parser("gradcheck", help="check a loss function's gradient against finite "
                       "differences",
                       description="Import FUNCTION (module:function or file.py:function), "
                       "call it on random float64 tensors of the given shapes and compare its "
                       "autograd gradient with central finite differences.")
    p.add_argument("function", help="module:function or path/file.py:function")
    p.add_argument("--shapes", nargs="+", default=["4,3", "4,3"],
                   help="one shape per argument, e.g. --shapes 4,3 4,3 (default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eps", type=float, default=1e-6)
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--rtol", type=float, default=1e-3)
    p.set_defaults(run=cmd_gradcheck)

    p = sub.add_parser("bench", help="run the benchmarks (ours vs PyTorch), from a checkout")
    p.set_defaults(run=cmd_bench)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CLIError, ValueError) as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return 2
