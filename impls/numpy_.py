"""NumPy backend: the operations written with NumPy alone, the way a careful NumPy user would write them.

Independent of dlspec.spec (it never calls it). Reductions of float16 inputs accumulate in float32 (`dtype=`),
as NumPy's own mean/var recommend for half precision; results are returned in the input dtype.
"""

from __future__ import annotations

import numpy as np

NAME = "numpy"
VERSION = np.__version__
DEVICES = ("cpu",)
DTYPES = ("float16", "float32", "float64")


def _acc(x: np.ndarray) -> np.dtype:
    """Accumulation dtype: float32 for float16 inputs, else the input's own."""
    return np.dtype(np.float32) if x.dtype == np.float16 else x.dtype


# --- softmax -------------------------------------------------------------------------------------------------

def softmax(x, *, axis=-1, device):
    with np.errstate(over="ignore"):  # x − max may overflow to −inf in float16; exp(−inf) = 0 is then exact
        e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True, dtype=_acc(x))).astype(x.dtype)


def log_softmax(x, *, axis=-1, device):
    with np.errstate(over="ignore"):  # overflow here means the true result is below float16's range too
        shifted = x - x.max(axis=axis, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True, dtype=_acc(x)))).astype(x.dtype)


def softmax_vjp(x, dy, *, axis=-1, device):
    y = softmax(x, axis=axis, device=device)
    return (y * (dy - (dy * y).sum(axis=axis, keepdims=True, dtype=_acc(x)))).astype(x.dtype)


def log_softmax_vjp(x, dy, *, axis=-1, device):
    y = softmax(x, axis=axis, device=device)
    return (dy - y * dy.sum(axis=axis, keepdims=True, dtype=_acc(x))).astype(x.dtype)


# --- batch norm ----------------------------------------------------------------------------------------------

# --- layer, instance and group norm --------------------------------------------------------------------------

# --- cross-entropy -------------------------------------------------------------------------------------------

# --- sigmoid and sigmoid cross-entropy -----------------------------------------------------------------------

# --- KL divergence -------------------------------------------------------------------------------------------

# --- convolution ---------------------------------------------------------------------------------------------

# --- pooling -------------------------------------------------------------------------------------------------

# --- mean IoU ------------------------------------------------------------------------------------------------
