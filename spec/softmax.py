r"""Softmax and log-softmax.

Sources: J. S. Bridle, "Probabilistic interpretation of feedforward classification network outputs" (1990);
Goodfellow, Bengio, Courville, *Deep Learning* (2016), §4.1 (overflow and underflow: subtract the maximum)
and §6.2.2.3 (softmax units).
"""

from __future__ import annotations

import numpy as np

from . import _checks

OPS = ("softmax", "log_softmax", "softmax_vjp", "log_softmax_vjp")


def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    r"""Softmax along `axis`.

    \zeta(z)_i = e^{z_i} / \sum_j e^{z_j} = e^{z_i - a} / \sum_j e^{z_j - a}   for any a.
    Computed with a = \max_j z_j, so every exponent is \le 0 and nothing overflows (Goodfellow §4.1).
    Shift invariance \zeta(z - a) = \zeta(z) is what makes that subtraction exact in real arithmetic.
    """
    x = _checks.floats(x, "x")
    ax = _checks.axis(axis, x.ndim)
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    return e / e.sum(axis=ax, keepdims=True)


def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    r"""Log-softmax along `axis`.

    \log\zeta(z)_i = (z_i - a) - \log\sum_j e^{z_j - a},  a = \max_j z_j.
    Never \log(\zeta(z)): softmax underflows to 0 for z_i - a < \log(\text{tiny}), and log of that is -\infty,
    while the formula above stays finite (Goodfellow §4.1).
    """
    x = _checks.floats(x, "x")
    ax = _checks.axis(axis, x.ndim)
    shifted = x - x.max(axis=ax, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))


def softmax_jacobian(x: np.ndarray) -> np.ndarray:
    r"""Jacobian of softmax for one vector z: J = \mathrm{diag}(y) - y y^T, y = \zeta(z).

    J_{ij} = \partial y_i / \partial z_j = y_i(\delta_{ij} - y_j). Its rows sum to 0 (shift invariance).
    """
    x = _checks.floats(x, "x", ndim=1)
    y = softmax(x)
    return np.diag(y) - np.outer(y, y)


def softmax_vjp(x: np.ndarray, dy: np.ndarray, *, axis: int = -1) -> np.ndarray:
    r"""Vector-Jacobian product of softmax: J^T dy = y \odot (dy - \langle dy, y\rangle) along `axis`.

    Follows from J = diag(y) - y y^T being symmetric.
    """
    x = _checks.floats(x, "x")
    dy = _checks.floats(dy, "dy")
    _checks.same_shape(x, dy, "x", "dy")
    y = softmax(x, axis=axis)
    ax = _checks.axis(axis, x.ndim)
    return y * (dy - (dy * y).sum(axis=ax, keepdims=True))


def log_softmax_vjp(x: np.ndarray, dy: np.ndarray, *, axis: int = -1) -> np.ndarray:
    r"""Vector-Jacobian product of log-softmax: dy - \zeta(z) \sum_j dy_j along `axis`.

    From \partial \log\zeta_i / \partial z_j = \delta_{ij} - \zeta_j.
    """
    x = _checks.floats(x, "x")
    dy = _checks.floats(dy, "dy")
    _checks.same_shape(x, dy, "x", "dy")
    ax = _checks.axis(axis, x.ndim)
    return dy - softmax(x, axis=axis) * dy.sum(axis=ax, keepdims=True)
