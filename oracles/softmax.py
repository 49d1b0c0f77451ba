"""Softmax and log-softmax at DPS digits: exp and log of exact inputs, no shift needed (no overflow in mpf)."""

from __future__ import annotations

import mpmath
import numpy as np

from .mp import along_axis


def _softmax_row(row: list) -> list:
    e = [mpmath.exp(v) for v in row]
    s = mpmath.fsum(e)
    return [v / s for v in e]


def _log_softmax_row(row: list) -> list:
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in row))
    return [v - lse for v in row]


def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    return along_axis(_softmax_row, x, axis)


def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    return along_axis(_log_softmax_row, x, axis)
