"""The command line: `python -m tinygrad_lr {demo,train,lr-find,gradcheck,bench} --help`."""
import argparse
import importlib
import importlib.util
import inspect
import math
import os
import sys
import time
import warnings

import numpy as np

from . import demo
from .autograd.gradcheck import argument_names, gradcheck_model, gradcheck_report
from .nn import loss_functions
from .serialization import save
from .tensor import Tensor
from .train import LambdaCallback, fit, lr_find
from .train.recipes import (
    DATASETS,
    LOSSES,
    MODELS,
    SCHEDULE_PARAMS,
    SCHEDULERS,
    make_experiment,
    optimizers,
)

PROG = "python -m tinygrad_lr"


class CLIError(Exception):
    """A user mistake: printed as one line, exit status 2."""


# ------------------------------------------------------------------ demo
def _make_output_folder(flag, path):
    """Make the output folder now, before any work, so that a path that cannot be a folder
    (a file of that name, a read-only place) is refused in one line."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise CLIError(f"{flag} {path}: is a file, not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise CLIError(f"{flag} {path}: cannot make this folder: {e.strerror or e}") from None
    if not os.access(path, os.W_OK):
        raise CLIError(f"{flag} {path}: the folder is not writable")


def cmd_demo(args):
    if not args.no_plot:
        _make_output_folder("--out", args.out)
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
            ("--end-lr", "end_lr", (lambda v: v > 0, "> 0")),
            ("--seed", "seed", (lambda v: 0 <= v < 2 ** 32, "an integer in [0, 2**32)")),
            ("--clip-grad-norm", "clip_grad_norm", (lambda v: v > 0, "> 0")),
            ("--clip-grad-value", "clip_grad_value", (lambda v: v > 0, "> 0"))):
        if hasattr(args, attr):
            _check_number(flag, getattr(args, attr), ok, need)
    if hasattr(args, "start_lr") and args.start_lr >= args.end_lr:
        raise CLIError(f"--start-lr ({args.start_lr:g}) must be below --end-lr "
                       f"({args.end_lr:g})")
    if hasattr(args, "scheduler"):
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
    def line(state):
        logs = state.logs
        lr = state.history.lr[-1]  # the lr this epoch ended with
        print(f"epoch {state.epoch}/{state.epochs}  " + "  ".join(
            f"{k} {v:.4g}" for k, v in logs.items() if k not in ("epoch", "time_s"))
            + f"  lr {lr:.3g}  ({logs.get('time_s', 0):.2g}s)", flush=True)

    return LambdaCallback(on_epoch_end=line)


def cmd_train(args):
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
    clips = [f"{what} {v:g}" for what, v in (("every entry into +-", args.clip_grad_value),
                                             ("global norm at most", args.clip_grad_norm)) if v]
    if clips:
        print(f"  gradient clipping: {', then '.join(clips)}", flush=True)
    start = time.perf_counter()
    # a diverging run is reported once, in plain words, by the final report ("stopped
    # early: ..."): not by fit's warning and numpy's overflow warnings with file paths
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
        warnings.filterwarnings("ignore", message="fit: loss became", category=RuntimeWarning)
        history = fit(model, ex["loss_fn"], ex["optimizer"], ex["train_loader"],
                      cfg["epochs"], scheduler=ex["scheduler"], val_loader=ex["val_loader"],
                      metrics=ex["metrics"], progress=progress == "bar",
                      clip_grad_norm=args.clip_grad_norm, clip_grad_value=args.clip_grad_value,
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
def _load_function(spec, what="function", builtin_losses=False):
    """module:function, path/file.py:function, or (builtin_losses) the name of a loss of
    tinygrad_lr.nn.functional such as cross_entropy."""
    if ":" not in spec:
        if builtin_losses and spec in loss_functions.__all__:
            return getattr(loss_functions, spec)
        raise CLIError(f"expected module:{what} (e.g. mylosses:huber"
                       f"{' or a built-in loss such as cross_entropy' if builtin_losses else ''}"
                       f"), got {spec!r}")
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
    except Exception as e:  # noqa: BLE001 - any failure while importing the user's code
        raise CLIError(f"cannot import {module_name!r}: {type(e).__name__}: {e}") from None
    fn = getattr(module, func_name, None)
    if fn is None or not (callable(fn) or hasattr(fn, "named_parameters")):
        raise CLIError(f"module {module_name!r} has no {what} {func_name!r}")
    return fn


def _parse_shape(text, flag="--shapes"):
    try:
        shape = tuple(int(s) for s in text.split(",") if s != "")
    except ValueError:
        raise CLIError(f"{flag}: {text!r} is not a shape like 4,3") from None
    if any(n <= 0 for n in shape):
        raise CLIError(f"{flag}: {text!r} has a dimension <= 0")
    return shape


# how inputs are drawn: name -> (description, differentiated by default)
INPUT_KINDS = {
    "normal": ("N(0, 1)", True),
    "range": ("uniform on (a, b)", True),
    "positive": ("positive: |N(0, 1)| + 0.1", True),
    "prob": ("probabilities in (0.05, 0.95)", True),
    "probs": ("rows of probabilities summing to 1 (last dim)", True),
    "classes": ("class indices in [0, K)", False),
    "binary": ("0/1 targets", False),
    "const": ("N(0, 1)", False),
}


def _parse_kind(text, flag):
    """'normal', 'range:-1,1', 'classes:3', ... -> (kind, parameter)."""
    kind, _, arg = text.partition(":")
    if kind not in INPUT_KINDS:
        raise CLIError(f"{flag}: unknown kind {kind!r}; choose from "
                       f"{', '.join(INPUT_KINDS)} (e.g. range:0,1 or classes:3)")
    if kind == "range":
        try:
            lo, hi = (float(v) for v in arg.split(","))
        except ValueError:
            raise CLIError(f"{flag}: a range needs two numbers, e.g. -1,1; got "
                           f"{arg!r}") from None
        if not lo < hi:
            raise CLIError(f"{flag}: range {lo:g},{hi:g} is empty")
        return kind, (lo, hi)
    if kind == "classes":
        if not arg.isdigit() or int(arg) < 1:
            raise CLIError(f"{flag}: classes needs the number of classes, e.g. classes:3; "
                           f"got {text!r}")
        return kind, int(arg)
    if arg:
        raise CLIError(f"{flag}: {kind} takes no parameter, got {text!r}")
    return kind, None


def _draw(kind, param, shape, rng):
    """A float64 (or int64 class-index) array of the given shape, drawn from the kind."""
    if kind == "range":
        return rng.uniform(param[0], param[1], shape)
    if kind == "positive":
        return np.abs(rng.standard_normal(shape)) + 0.1
    if kind == "prob":
        return rng.uniform(0.05, 0.95, shape)
    if kind == "probs":
        z = np.exp(rng.standard_normal(shape))
        return z / z.sum(axis=-1, keepdims=True)
    if kind == "classes":
        return rng.integers(0, param, shape).astype(np.int64)
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(np.float64)
    return rng.standard_normal(shape)


def _kind_text(kind, param):
    if kind == "range":
        return f"uniform on ({param[0]:g}, {param[1]:g})"
    if kind == "classes":
        return f"class indices in [0, {param})"
    return INPUT_KINDS[kind][0]


def _argument_specs(fn, args):
    """Per argument of fn: (name, shape, kind, parameter, differentiated)."""
    try:
        required = [p for p in inspect.signature(fn).parameters.values()
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                    and p.default is p.empty]
    except (TypeError, ValueError):
        required = []
    shapes = [_parse_shape(s) for s in args.shapes] if args.shapes else None
    n = len(shapes) if shapes else max(len(required), 1)
    if shapes and required and len(shapes) < len(required):
        raise CLIError(f"{args.function} takes {len(required)} arguments "
                       f"({', '.join(p.name for p in required)}) but --shapes gives "
                       f"{len(shapes)}")
    names = argument_names(fn, n)
    if args.range:
        default = _parse_kind("range:" + args.range, "--range")
    else:
        default = ("positive", None) if args.positive else ("normal", None)
    kinds = {}
    for item in args.input or []:
        key, eq, spec = item.partition("=")
        if not eq:
            raise CLIError(f"--input: expected NAME=KIND (e.g. target=classes:3), got {item!r}")
        kinds[_argument_index(key, names, "--input")] = _parse_kind(spec, f"--input {key}")
    frozen = {_argument_index(key, names, "--no-grad") for key in args.no_grad or []}
    specs = []
    for i, name in enumerate(names):
        kind, param = kinds.get(i, default)
        if shapes:
            shape = shapes[i]
        else:  # class indices: one per row of the first argument
            shape = (4,) if kind == "classes" else (4, 3)
        diff = INPUT_KINDS[kind][1] and i not in frozen
        specs.append((name, shape, kind, param, diff))
    return specs


def _argument_index(key, names, flag):
    if key in names:
        return names.index(key)
    if key.isdigit() and int(key) < len(names):
        return int(key)
    raise CLIError(f"{flag}: the function has no argument {key!r}; its arguments: "
                   f"{', '.join(names)}")


def _check_gradcheck_flags(args):
    for flag, value, ok, need in (
            ("--eps", args.eps, lambda v: v > 0, "> 0 (the finite-difference step)"),
            ("--atol", args.atol, lambda v: v >= 0, ">= 0"),
            ("--rtol", args.rtol, lambda v: v >= 0, ">= 0"),
            ("--samples", args.samples, lambda v: v >= 1, "an integer >= 1"),
            ("--points", args.points, lambda v: v >= 1, "an integer >= 1"),
            ("--seed", args.seed, lambda v: 0 <= v < 2 ** 32, "an integer in [0, 2**32)")):
        _check_number(flag, value, ok, need)


def cmd_gradcheck(args):
    _check_gradcheck_flags(args)
    if args.model:
        return _gradcheck_model(args)
    if not args.function:
        raise CLIError("give the FUNCTION to check (module:function), or --model and --loss "
                       "to check a model's parameters")
    fn = _load_function(args.function, builtin_losses=True)
    specs = _argument_specs(fn, args)
    rng = np.random.default_rng(args.seed)
    inputs = [Tensor(_draw(kind, param, shape, rng), requires_grad=diff)
              for _, shape, kind, param, diff in specs]
    if not any(diff for *_, diff in specs):
        raise CLIError("every argument is marked as not differentiated (--no-grad, or class "
                       "or binary targets): nothing to check")
    try:
        with np.errstate(all="ignore"):  # a NaN loss is diagnosed by the report
            out = fn(*inputs)
    except Exception as e:  # noqa: BLE001 - the user's function failed: say how, in one line
        raise CLIError(f"{args.function} failed on inputs of shapes "
                       f"{[s for _, s, *_ in specs]}: {type(e).__name__}: {e}") from None
    if not isinstance(out, Tensor) or out.numel() != 1:
        got = f"a Tensor of shape {out.shape}" if isinstance(out, Tensor) else \
            type(out).__name__
        raise CLIError(f"{args.function} must return a scalar Tensor (a loss), got {got}")
    print(f"{args.function} on random float64 inputs (seed {args.seed}):")
    for name, shape, kind, param, diff in specs:
        print(f"  {name:<10} {shape!s:<10} {_kind_text(kind, param)}"
              f"{'' if diff else ' (not differentiated)'}")
    print(f"  loss = {out.item():.6g}")
    report = gradcheck_report(fn, inputs, eps=args.eps, atol=args.atol, rtol=args.rtol,
                              samples=args.samples, seed=args.seed,
                              names=[s[0] for s in specs])
    print(report)
    print("the analytic gradient agrees with central finite differences" if report.passed
          else "the analytic gradient does NOT agree with finite differences (see above)")
    return 0 if report.passed else 1


def _gradcheck_model(args):
    if not args.loss:
        raise CLIError("--model needs --loss (module:function or a built-in such as "
                       "cross_entropy or mse_loss)")
    made = _load_function(args.model, "model")
    try:
        model = made if hasattr(made, "named_parameters") else made()
    except Exception as e:  # noqa: BLE001 - the user's factory failed: say how, in one line
        raise CLIError(f"{args.model}() failed: {type(e).__name__}: {e}") from None
    if not hasattr(model, "named_parameters"):
        raise CLIError(f"{args.model} must be a Module or a function returning one, got "
                       f"{type(model).__name__}")
    if args.eval:
        model.eval()
    loss_fn = _load_function(args.loss, "loss", builtin_losses=True)
    rng = np.random.default_rng(args.seed)
    if args.data:
        shape_text, _, kind_text = args.data.partition(":")
        shape = _parse_shape(shape_text, "--data")
        kind, param = _parse_kind(kind_text or "normal", "--data")
    else:
        first = next((p for _, p in model.named_parameters() if p.ndim == 2), None)
        if first is None:
            raise CLIError("--data SHAPE is needed (e.g. --data 8,3): the input size cannot "
                           "be read from this model")
        shape, kind, param = (args.points, first.shape[1]), "normal", None
    x = Tensor(_draw(kind, param, shape, rng))
    target = None
    if args.target:
        if args.target.startswith("classes:"):
            tkind, tparam = _parse_kind(args.target, "--target")
            tshape = shape[:1]
        else:
            shape_text, _, kind_text = args.target.partition(":")
            tshape = _parse_shape(shape_text, "--target")
            tkind, tparam = _parse_kind(kind_text or "normal", "--target")
        target = Tensor(_draw(tkind, tparam, tshape, rng))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.model} ({n_params} parameters, {'eval' if args.eval else 'training'} mode) "
          f"under {args.loss}: input {shape} {_kind_text(kind, param)}"
          + (f", target {tuple(target.shape)}" if target is not None else ""))
    samples = args.samples or 5
    print(f"checking {samples} sampled elements of every parameter on the first "
          f"{args.points} rows, in float64 on a copy of the model")
    try:
        report = gradcheck_model(model, loss_fn, x, target, samples=samples,
                                 points=args.points, eps=args.eps, atol=args.atol,
                                 rtol=args.rtol, seed=args.seed)
    except (TypeError, ValueError, RuntimeError) as e:
        raise CLIError(f"{type(e).__name__}: {e}") from None
    print(report)
    print("every parameter's gradient agrees with central finite differences"
          if report.passed else "some gradients do NOT agree with finite differences")
    return 0 if report.passed else 1


def _add_gradcheck_parser(sub):
    p = sub.add_parser(
        "gradcheck", help="check a loss function's (or a model's) gradient against finite "
        "differences",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Import FUNCTION (module:function, file.py:function, or a built-in loss "
        "such as cross_entropy), call it on random float64 tensors and compare its autograd "
        "gradient with central finite differences, element by element.\n\n"
        "Input kinds (--input NAME=KIND, --data/--target SHAPE:KIND):\n" + "\n".join(
            f"  {k + (':a,b' if k == 'range' else ':K' if k == 'classes' else ''):<12} "
            f"{d}{'' if diff else ' (not differentiated)'}"
            for k, (d, diff) in INPUT_KINDS.items()) +
        "\n\nExamples:\n"
        "  gradcheck my_losses:huber --shapes 8,3 8,3\n"
        "  gradcheck cross_entropy --shapes 4,3 4 --input target=classes:3\n"
        "  gradcheck binary_cross_entropy --shapes 6 6 --input input=prob target=binary\n"
        "  gradcheck --model my_net:make_model --loss my_losses:focal --data 8,2 "
        "--target classes:3")
    p.add_argument("function", nargs="?", help="module:function, path/file.py:function or a "
                   "tinygrad_lr.nn.functional loss name")
    p.add_argument("--shapes", nargs="+", default=None,
                   help="one shape per argument, e.g. --shapes 4,3 4,3 (default: 4,3 each)")
    p.add_argument("--input", nargs="+", metavar="NAME=KIND",
                   help="how to draw an argument, by name or position: e.g. target=classes:3, "
                   "x=range:0,1, probs=prob")
    p.add_argument("--range", metavar="A,B", help="draw every float argument uniformly from (A, B)")
    p.add_argument("--positive", action="store_true",
                   help="draw every float argument positive (for log, sqrt, ...)")
    p.add_argument("--no-grad", nargs="+", metavar="NAME",
                   help="arguments not to differentiate (targets, masks)")
    p.add_argument("--samples", type=int, default=None,
                   help="check this many random elements per input (default: all; model "
                   "mode: 5)")
    p.add_argument("--model", metavar="MODULE:NAME",
                   help="model mode: a Module, or a function returning one")
    p.add_argument("--loss", metavar="LOSS", help="model mode: loss(output, target), "
                   "module:function or a built-in name")
    p.add_argument("--data", metavar="SHAPE[:KIND]",
                   help="model mode: the input batch (default: POINTS rows of the first "
                   "layer's width)")
    p.add_argument("--target", metavar="SPEC",
                   help="model mode: classes:K, or SHAPE[:KIND] (default: no target)")
    p.add_argument("--points", type=int, default=8,
                   help="model mode: data points used (default: 8)")
    p.add_argument("--eval", action="store_true",
                   help="model mode: call model.eval() first (Dropout off)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eps", type=float, default=1e-6)
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--rtol", type=float, default=1e-3)
    p.set_defaults(run=cmd_gradcheck)


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
    flags = (["--busy"] if args.busy else []) + (["--only", *args.only] if args.only else [])
    ok = module.main(flags)  # True when every benchmark ran
    return 0 if ok or ok is None else 1


# ------------------------------------------------------------------ parser
def _add_experiment_flags(p, training=True):
    """The flags of a recipe; lr-find (training=False) leaves out the ones it does not use:
    --lr (it sweeps the lr), --epochs and the schedule."""
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
    p.add_argument("--clip-grad-norm", type=float, default=None, metavar="MAX",
                   help="scale the gradients so that their global L2 norm is at most MAX "
                   "(clip_grad_norm_), every iteration")
    p.add_argument("--clip-grad-value", type=float, default=None, metavar="V",
                   help="clamp every gradient entry into [-V, V] (clip_grad_value_), every "
                   "iteration, before --clip-grad-norm")
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

    _add_gradcheck_parser(sub)

    p = sub.add_parser("bench", help="run the benchmarks (ours vs PyTorch), from a checkout")
    p.add_argument("--busy", action="store_true",
                   help="also time the conv nets and the LSTM with one core kept busy by a "
                        "second process (quiet and busy ratios)")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="run only the benchmarks whose file name contains a NAME, e.g. "
                        "--only networks scaling")
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
