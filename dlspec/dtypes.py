"""Dtype names and their floating-point facts, shared by the backend interface and the tolerance model."""

from __future__ import annotations

import ml_dtypes
import numpy as np

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def np_dtype(dtype: str) -> np.dtype:
    """The NumPy dtype for a dtype name; bfloat16 comes from ml_dtypes."""
    if dtype == "bfloat16":
        return np.dtype(ml_dtypes.bfloat16)
    if dtype not in FLOAT_DTYPES:
        raise ValueError(f"dtype: expected one of {FLOAT_DTYPES}, got {dtype!r}")
    return np.dtype(dtype)


def eps(dtype: str) -> float:
    """Machine epsilon: the spacing of floats at 1.0 (2^-10, 2^-7, 2^-23, 2^-52)."""
    return float(ml_dtypes.finfo(np_dtype(dtype)).eps)


def tiny(dtype: str) -> float:
    """Smallest positive normal number; anything below it may be flushed to zero."""
    return float(ml_dtypes.finfo(np_dtype(dtype)).smallest_normal)


def max_value(dtype: str) -> float:
    """Largest finite value."""
    return float(ml_dtypes.finfo(np_dtype(dtype)).max)


def round_to(x: np.ndarray, dtype: str) -> np.ndarray:
    """Round float64 values to `dtype` (nearest, ties to even) and return them as float64 again.

    Values beyond the dtype's range become ±inf, as IEEE rounding says; callers that need finite values check.
    """
    with np.errstate(over="ignore"):
        return np.asarray(x, dtype=np.float64).astype(np_dtype(dtype)).astype(np.float64)
