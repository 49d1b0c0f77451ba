"""mpmath helpers: evaluate elementwise formulas at high precision and round back to float64 correctly.

Precision is set only inside a scope (`with mpmath.workdps(DPS)`), never globally, as SciPy's mpmath tests do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import mpmath
import numpy as np

DPS = 50
"""Decimal digits for every oracle. 50 digits leave > 30 digits of headroom over float64's 16, so an oracle's
own rounding is invisible at any tolerance the suite uses (errors are measured in units of 2^-52 ≈ 2.2e-16)."""


def mpf_array(x: np.ndarray) -> np.ndarray:
    """A float array as an object array of exact mpf values (conversion of a binary float is exact)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape, dtype=object)
    for idx, v in np.ndenumerate(x):
        out[idx] = mpmath.mpf(float(v))
    return out


def to_float(a: np.ndarray | mpmath.mpf) -> np.ndarray:
    """Round mpf values to the nearest float64 (mpmath's float() rounds to nearest)."""
    if isinstance(a, np.ndarray):
        return np.vectorize(float, otypes=[np.float64])(a) if a.size else np.zeros(a.shape)
    return np.float64(float(a))


def along_axis(fn: Callable[[list], list], x: np.ndarray, axis: int) -> np.ndarray:
    """Apply `fn` (a list of mpf → list of mpf) to every 1-D slice of `x` along `axis`, at DPS digits."""
    x = np.asarray(x, dtype=np.float64)
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape, dtype=np.float64)
    with mpmath.workdps(DPS):
        for idx in np.ndindex(moved.shape[:-1]):
            row = [mpmath.mpf(float(v)) for v in moved[idx]]
            out[idx] = [float(v) for v in fn(row)]
    return np.moveaxis(out, -1, axis)


def fsum(values: Iterable) -> mpmath.mpf:
    return mpmath.fsum(values)
