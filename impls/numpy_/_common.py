"""Helpers shared by the NumPy backend's family modules."""

from __future__ import annotations

import numpy as np


def acc(x: np.ndarray) -> np.dtype:
    """Accumulation dtype: float32 for float16 inputs, else the input's own."""
    return np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
