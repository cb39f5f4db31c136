"""Numbers for teaching output (graph labels, backward traces, gradcheck reports).

Significant digits, never fixed decimals: a vanishing gradient of 9.46e-09 must not print
as 0. Plain notation keeps 4 significant digits (0.8814, -6, 0.7071); scientific notation
keeps 3 (9.46e-09), because its exponent already costs characters.
"""
import math

import numpy as np

__all__ = ["fmt_array", "fmt_distinct", "fmt_number", "summarize"]


def fmt_number(x) -> str:
    """One number: `0.8814`, `-6`, `9.46e-09`, `1.23e+04`, `nan`. Zero is `0`."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if x == 0.0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.4g}" if 1e-4 <= abs(x) < 1e4 else f"{x:.3g}"


def fmt_distinct(a, b) -> tuple[str, str]:
    """Two numbers that differ, with just enough significant digits to show that they do:
    2.0 and 2.0009 print as `2` and `2.001`, not as `2` and `2`."""
    first, second = fmt_number(a), fmt_number(b)
    digits = 4
    while first == second and digits < 17 and a != b:
        digits += 1
        first, second = f"{float(a):.{digits}g}", f"{float(b):.{digits}g}"
    return first, second


def summarize(a) -> str:
    """A large array in a few words: its shape, mean and range."""
    a = np.asarray(a)
    shape = tuple(a.shape)
    if a.size == 0:
        return f"{shape} (empty)"
    if a.dtype.kind == "b":
        return f"{shape} {int(a.sum())} true"
    f = a.astype(np.float64)
    finite = np.isfinite(f)
    bad = "" if finite.all() else f", {int((~finite).sum())} not finite"
    f = f[finite]
    if f.size == 0:
        return f"{shape}{bad}"
    return (f"{shape} mean {fmt_number(f.mean())} in [{fmt_number(f.min())}, "
            f"{fmt_number(f.max())}]{bad}")


def fmt_array(a, limit: int = 6) -> str:
    """A value in full when it has at most `limit` elements (`0.5`, `[1, -2, 0.5]`,
    `[[1, 2], [3, 4]]`), otherwise `summarize(a)`."""
    if a is None:
        return "-"
    a = np.asarray(getattr(a, "_data", a))
    if a.ndim == 0:
        return fmt_number(a[()])
    if a.size > limit:
        return summarize(a)

    def nested(x):
        if x.ndim == 1:
            return "[" + ", ".join(fmt_number(v) for v in x) + "]"
        return "[" + ", ".join(nested(row) for row in x) + "]"

    return nested(a)
