"""Helpers shared by the NumPy backend's family modules."""

from __future__ import annotations

import numpy as np


def acc(x: np.ndarray) -> np.dtype:
    """Accumulation dtype: float32 for float16 inputs, else the input's own."""
    return np.dtype(np.float32) if x.dtype == np.float16 else x.dtype


def reduce_loss(losses: np.ndarray, reduction: str) -> np.ndarray:
    """A loss reduction as a NumPy user writes it: 'none' keeps the losses, 'sum' and 'mean' over all of them."""
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.mean()
    raise ValueError(f"reduction: expected 'none', 'sum' or 'mean', got {reduction!r}")
