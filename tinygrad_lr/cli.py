"""The command line: `python -m tinygrad_lr {demo,train,lr-find,gradcheck,bench} --help`."""
import argparse
import importlib
import importlib.util
import math
import os
import sys
import time
import warnings

import numpy as np


PROG = "python -m tinygrad_lr"


class CLIError(Exception):
    """A user mistake: printed as one line, exit status 2."""


# ------------------------------------------------------------------ demo
def cmd_demo(args):
    from . import demo

    demo.main(out=args.out, quick=args.quick, plot=not args.no_plot)
    return 0


# ------------------------------------------------------------------ train / lr-find
SCHEDULE_FLAGS = ("step_size", "gamma", "end_factor", "decay", "eta_min", "patience")


def _config(args):
    """The recipe config of the flags this subcommand has (lr-find has no lr, epochs or
    schedule)."""
    keys = ("model", "dataset", "optimizer", "lr", "batch_size", "epochs", "scheduler", "loss",
            "seed", "hidden", "n_samples", "momentum", "nesterov", "weight_decay", "l1",
            "standardize") + SCHEDULE_FLAGS
    return {k: getattr(args, k) for k in keys if hasattr(args, k)}


def _check_output_path(flag, path, ext=None):
    """Refuse, before any training, an output path that cannot be written: its folder is
    missing or read-only, or it names a folder."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CLIError(f"{flag} {path}: is a directory; give a file name")
    if not os.path.isdir(folder):
        raise CLIError(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise CLIError(f"{flag} {path}: the folder {folder} is not writable")
    if ext and not path.lower().endswith(ext):
        raise CLIError(f"{flag} {path}: expected a {ext} file name")


def _check_number(flag, value, ok, need):
    if value is not None and (not math.isfinite(value) or not ok(value)):
        raise CLIError(f"{flag} must be {need}, got {value:g}")


def _check_experiment_flags(args):
    """Every numeric flag, before data is loaded or a model built."""
    positive_int = (lambda v: v >= 1, "an integer >= 1")
    for flag, attr, (ok, need) in (
            ("--batch-size", "batch_size", positive_int), ("--epochs", "epochs", positive_int),
            ("--hidden", "hidden", positive_int), ("--step-size", "step_size", positive_int),
            ("--n-samples", "n_samples", (lambda v: v >= 10,
                                          "an integer >= 10 (train and validation split)")),
            ("--lr", "lr", (lambda v: v > 0, "> 0")),
            ("--momentum", "momentum", (lambda v: 0 <= v < 1, "in [0, 1)")),
            ("--weight-decay", "weight_decay", (lambda v: v >= 0, ">= 0")),
            ("--l1", "l1", (lambda v: v >= 0, ">= 0")),
            ("--gamma", "gamma", (lambda v: v > 0, "> 0")),
            ("--end-factor", "end_factor", (lambda v: 0 <= v <= 1, "in [0, 1]")),
            ("--decay", "decay", (lambda v: v >= 0, ">= 0")),
            ("--eta-min", "eta_min", (lambda v: v >= 0, ">= 0")),
            ("--patience", "patience", (lambda v: v >= 0, "an integer >= 0")),
            ("--num-iter", "num_iter", (lambda v: v >= 10, "an integer >= 10")),
            ("--start-lr", "start_lr", (lambda v: v > 0, "> 0")),
            ("--end-lr", "end_lr", (lambda v: v > 0, "> 0"))):
        if hasattr(args, attr):
            _check_number(flag, getattr(args, attr), ok, need)
    if hasattr(args, "start_lr") and args.start_lr >= args.end_lr:
        raise CLIError(f"--start-lr ({args.start_lr:g}) must be below --end-lr "
                       f"({args.end_lr:g})")
    if hasattr(args, "scheduler"):
        from .train.recipes import SCHEDULE_PARAMS

        takes = SCHEDULE_PARAMS.get(args.scheduler, {})
        wrong = [k for k in SCHEDULE_FLAGS if getattr(args, k) is not None and k not in takes]
        if wrong:
            flag = lambda k: "--" + k.replace("_", "-")  # noqa: E731
            raise CLIError(f"{', '.join(map(flag, wrong))} is not used by --scheduler "
                           f"{args.scheduler} (it takes "
                           f"{', '.join(map(flag, takes)) or 'no parameter'})")


def _needs_matplotlib(flag):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CLIError(f"{flag} needs matplotlib: pip install tinygrad-lr[plot]") from None


def _make_experiment(args):
    from .train.recipes import make_experiment

    return make_experiment(_config(args))


def _describe(ex):
    """One paragraph: what is trained on what, how, and how many iterations an epoch has."""
    cfg, model, opt = ex["cfg"], ex["model"], ex["optimizer"]
    n_params = sum(p.numel() for p in model.parameters())
    n_train = len(ex["train_loader"].dataset)
    per_epoch = len(ex["train_loader"])
    group = opt.param_groups[0]
    options = [f"{k}={group[k]:g}" for k in ("momentum", "weight_decay")
               if group.get(k)] + (["nesterov"] if group.get("nesterov") else [])
    return (f"training {cfg['model']} ({n_params} parameters) on {cfg['dataset']} "
            f"({n_train} train / {len(ex['val_loader'].dataset)} val)\n"
            f"  optimizer {type(opt).__name__} lr={cfg['lr']:g}"
            f"{' ' + ' '.join(options) if options else ''}, loss {ex['loss_fn']!r}, "
            f"scheduler {cfg['scheduler']}\n"
            f"  batch {cfg['batch_size']}: {per_epoch} iterations per epoch "
            f"(ceil({n_train} / {cfg['batch_size']})), {cfg['epochs']} epochs = "
            f"{per_epoch * cfg['epochs']} iterations")


def _epoch_printer():
    """A callback printing one line per epoch to stdout (for --progress epochs)."""
    from .train import LambdaCallback

    def line(state):
        logs = state.logs
        lr = state.history.lr[-1]  # the lr this epoch ended with
        print(f"epoch {state.epoch}/{state.epochs}  " + "  ".join(
            f"{k} {v:.4g}" for k, v in logs.items() if k not in ("epoch", "time_s"))
            + f"  lr {lr:.3g}  ({logs.get('time_s', 0):.2g}s)", flush=True)

    return LambdaCallback(on_epoch_end=line)


def cmd_train(args):
    from .train import fit

    _check_experiment_flags(args)
    progress = "epochs" if args.no_progress else args.progress
    _check_output_path("--save-model", args.save_model)
    _check_output_path("--save-history", args.save_history)
    _check_output_path("--plot", args.plot, ".png")
    if args.plot:
        _needs_matplotlib("--plot")
    ex = _make_experiment(args)
    cfg, model = ex["cfg"], ex["model"]
    print(_describe(ex), flush=True)
    start = time.perf_counter()
    # a diverging run is reported once, in plain words, by the final report ("stopped
    # early: ..."): not by fit's warning and numpy's overflow warnings with file paths
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
        warnings.filterwarnings("ignore", message="fit: loss became", category=RuntimeWarning)
        history = fit(model, ex["loss_fn"], ex["optimizer"], ex["train_loader"],
                      cfg["epochs"], scheduler=ex["scheduler"], val_loader=ex["val_loader"],
                      metrics=ex["metrics"], progress=progress == "bar",
                      callbacks=[_epoch_printer()] if progress == "epochs" else ())
    elapsed = time.perf_counter() - start
    print("\nfinal report")
    last = history.epochs[-1] if history.epochs else {}
    for key, value in last.items():
        if key != "time_s":
            print(f"  {key:<20} {value:.4g}" if isinstance(value, float) else
                  f"  {key:<20} {value}")
    per_epoch = len(ex["train_loader"])
    print(f"  {'iterations':<20} {len(history.loss)} ({per_epoch} per epoch, batch "
          f"{cfg['batch_size']})")
    print(f"  {'samples seen':<20} {len(history.loss) and _samples_seen(history, ex)}")
    print(f"  {'time':<20} {elapsed:.3g}s")
    if history.stop_reason:
        print(f"  stopped early: {history.stop_reason}")
    failed = False
    for flag, what, path, write in (
            ("--save-model", "model state_dict", args.save_model,
             lambda p: _save_model(model, p)),
            ("--save-history", "history", args.save_history,
             lambda p: _save_history(history, p)),
            ("--plot", "History figure", args.plot, lambda p: _save_plot(history, p))):
        if path:
            try:
                write(path)
                print(f"{what} written to {path}")
            except OSError as e:  # e.g. the disk filled up during training
                print(f"{PROG} train: error: {flag} {path}: {e.strerror or e}",
                      file=sys.stderr)
                failed = True
    return 1 if history.diverged or failed else 0


def _samples_seen(history, ex):
    n_train, batch = len(ex["train_loader"].dataset), ex["cfg"]["batch_size"]
    per_epoch = len(ex["train_loader"])
    full, rest = divmod(len(history.loss), per_epoch)
    return full * n_train + rest * batch


def _save_model(model, path):
    from .serialization import save

    save(model.state_dict(), path)


def _save_history(history, path):
    if path.endswith(".json"):
        history.to_json(path)
    else:
        history.to_csv(path)


def _save_plot(plottable, path):
    import matplotlib.pyplot as plt

    plt.close(plottable.plot(path=path))


def cmd_lr_find(args):
    from .train import lr_find

    _check_experiment_flags(args)
    _check_output_path("--plot", args.plot, ".png")
    if args.plot:
        _needs_matplotlib("--plot")
    ex = _make_experiment(args)
    print(f"range test of {ex['cfg']['model']} on {ex['cfg']['dataset']} with "
          f"{type(ex['optimizer']).__name__}, batch {ex['cfg']['batch_size']} "
          f"({len(ex['train_loader'])} iterations per epoch)", flush=True)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            result = lr_find(ex["model"], ex["loss_fn"], ex["optimizer"], ex["train_loader"],
                             start_lr=args.start_lr, end_lr=args.end_lr,
                             num_iter=args.num_iter)
    except RuntimeError as e:  # the loss diverged at once: --start-lr is too high
        raise CLIError(str(e).replace("lower start_lr", "lower --start-lr")) from None
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
        try:
            _save_plot(result, args.plot)
        except OSError as e:
            raise CLIError(f"--plot {args.plot}: {e.strerror or e}") from None
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
def _add_experiment_flags(p, training=True):
    """The flags of a recipe; lr-find (training=False) leaves out the ones it does not use:
    --lr (it sweeps the lr), --epochs and the schedule."""
    from .train.recipes import DATASETS, LOSSES, MODELS, SCHEDULERS, optimizers

    p.add_argument("--model", default="mlp", choices=MODELS,
                   help="network (default: mlp; linear = one Linear layer: linear or "
                   "logistic regression)")
    p.add_argument("--dataset", default="digits", choices=DATASETS,
                   help="built-in data (default: digits; linear = y = 4 + 3x + noise, "
                   "house-prices = 4 features of very different scales)")
    p.add_argument("--standardize", action="store_true",
                   help="rescale the features of linear / house-prices to mean 0, std 1")
    p.add_argument("--optimizer", default="adam", choices=sorted(optimizers()),
                   help="optimizer (default: adam)")
    if training:
        p.add_argument("--lr", type=float, default=1e-3, help="learning rate (default: 1e-3)")
    p.add_argument("--momentum", type=float, default=0.0,
                   help="momentum (sgd, rmsprop; default: 0)")
    p.add_argument("--nesterov", action="store_true", help="Nesterov momentum (sgd)")
    p.add_argument("--weight-decay", type=float, default=0.0,
                   help="L2 weight decay, added to the gradient by the optimizer (default: 0)")
    p.add_argument("--l1", type=float, default=0.0,
                   help="L1 penalty l1 * sum|w| added to the training loss (weights, not "
                   "biases; default: 0)")
    p.add_argument("--batch-size", type=int, default=32,
                   help="mini-batch size (default: 32); iterations per epoch = "
                   "ceil(N / batch size)")
    if training:
        p.add_argument("--epochs", type=int, default=10,
                       help="passes over the data (default: 10)")
        g = p.add_argument_group(
            "learning-rate schedule", "Schedules step once per epoch (onecycle and cyclic: "
            "once per iteration). Each flag below belongs to the schedules named in its help; "
            "giving it to another schedule is an error.")
        g.add_argument("--scheduler", default="none", choices=SCHEDULERS,
                       help="none (fixed lr), step, exponential, linear (lr down to "
                       "end-factor * lr), inverse-time (lr / (1 + decay * epoch)), cosine, "
                       "onecycle, cyclic, plateau (default: none)")
        g.add_argument("--step-size", type=int, default=None,
                       help="step: epochs between two decays (default: a third of --epochs)")
        g.add_argument("--gamma", type=float, default=None,
                       help="step: factor per decay (default 0.1); exponential: factor per "
                       "epoch (default 0.9); plateau: factor on a plateau (default 0.5)")
        g.add_argument("--end-factor", type=float, default=None,
                       help="linear: final lr / initial lr (default 0.01)")
        g.add_argument("--decay", type=float, default=None,
                       help="inverse-time: the decay in lr / (1 + decay * epoch) (default 0.5)")
        g.add_argument("--eta-min", type=float, default=None,
                       help="cosine: the lowest lr (default 0)")
        g.add_argument("--patience", type=int, default=None,
                       help="plateau: epochs without improvement before a decay (default 2)")
    p.add_argument("--loss", default=None, choices=LOSSES,
                   help="loss (default: cross_entropy for classification, mse for regression)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--hidden", type=int, default=64, help="hidden units (default: 64)")
    p.add_argument("--n-samples", type=int, default=None,
                   help="use only this many samples (quick runs; at least 10)")


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

    p = sub.add_parser("train", help="train a built-in model on a built-in dataset",
                       description="Train a built-in model on built-in data and report the "
                       "last epoch. Every output path and numeric flag is checked before "
                       "training starts.")
    _add_experiment_flags(p)
    p.add_argument("--save-model", metavar="PATH", help="write the state_dict (tl.save)")
    p.add_argument("--save-history", metavar="PATH",
                   help="write the history (.json: everything; else CSV per epoch)")
    p.add_argument("--plot", metavar="PNG",
                   help="write the History figure (loss, lr when scheduled, gradient norm)")
    p.add_argument("--progress", choices=("bar", "epochs", "none"), default="bar",
                   help="bar: a progress bar and a line per epoch (default); epochs: one "
                   "plain line per epoch on stdout, no bar (for a projected terminal or a "
                   "log); none: only the final report")
    p.add_argument("--no-progress", action="store_true",
                   help="the same as --progress epochs")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("lr-find", help="learning-rate range test (model and optimizer are "
                       "restored afterwards)",
                       description="Train for --num-iter steps while the lr grows "
                       "geometrically from --start-lr to --end-lr, and suggest an lr from the "
                       "smoothed loss (the first tenth and the last 5 steps are ignored).")
    _add_experiment_flags(p, training=False)
    p.add_argument("--start-lr", type=float, default=1e-6, help="first lr (default: 1e-6)")
    p.add_argument("--end-lr", type=float, default=10.0, help="last lr (default: 10)")
    p.add_argument("--num-iter", type=int, default=100,
                   help="steps, going round the data again if needed (default: 100)")
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
    except KeyboardInterrupt:
        print(f"{parser.prog} {args.command}: interrupted", file=sys.stderr)
        return 130
