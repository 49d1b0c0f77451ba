"""Input validation shared by the spec: every bad input is a ValueError that names the argument."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def floats(x: object, name: str, *, ndim: int | Sequence[int] | None = None, finite: bool = True) -> np.ndarray:
    """`x` as a float64 array, or a ValueError naming `name`."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name}: expected an array of real numbers, got {type(x).__name__} ({e})") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if a.ndim not in allowed:
            raise ValueError(f"{name}: expected {' or '.join(map(str, allowed))} dimensions, got shape {a.shape}")
    if finite and not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: must be finite, got {a[~np.isfinite(a)].ravel()[:3]} among its values")
    return a


def integers(x: object, name: str, *, ndim: int | None = None, low: int | None = None,
             high: int | None = None) -> np.ndarray:
    """`x` as an int64 array with values in [low, high), or a ValueError naming `name`."""
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integers, got dtype {a.dtype}")
    a = a.astype(np.int64)
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {a.shape}")
    if low is not None and a.size and a.min() < low:
        raise ValueError(f"{name}: values must be >= {low}, got {a.min()}")
    if high is not None and a.size and a.max() >= high:
        raise ValueError(f"{name}: values must be < {high}, got {a.max()}")
    return a


def axis(ax: int, ndim: int, name: str = "axis") -> int:
    """A valid axis of an `ndim`-dimensional array, normalised to be non-negative."""
    if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool):
        raise ValueError(f"{name}: expected an int, got {ax!r}")
    if not -ndim <= ax < ndim:
        raise ValueError(f"{name}: {ax} is out of range for an array of {ndim} dimensions")
    return int(ax) % ndim


def positive(value: float, name: str, *, allow_zero: bool = False) -> float:
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name}: must be {'non-negative' if allow_zero else 'positive'}, got {value!r}")
    return float(value)


def positive_int(value: int, name: str, *, allow_zero: bool = False) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise ValueError(f"{name}: expected an int, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name}: must be {'non-negative' if allow_zero else 'positive'}, got {value}")
    return int(value)


def fraction(value: float, name: str) -> float:
    """A number in [0, 1]."""
    if not np.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: must lie in [0, 1], got {value!r}")
    return float(value)


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_b}: shape {b.shape} does not match {name_a} shape {a.shape}")


def reduction(value: str, name: str = "reduction") -> str:
    if value not in ("none", "sum", "mean"):
        raise ValueError(f"{name}: expected 'none', 'sum' or 'mean', got {value!r}")
    return value


def reduce(losses: np.ndarray, how: str) -> np.ndarray:
    """Apply a loss reduction over the batch: 'none' keeps per-sample losses, 'mean' divides by N."""
    if how == "none":
        return losses
    total = losses.sum()
    return total / losses.shape[0] if how == "mean" else total
