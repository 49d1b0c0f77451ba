"""Central finite differences at high precision, the oracle for every analytic gradient in the spec.

A central difference (f(x + h v) - f(x - h v)) / 2h has truncation error h^2 |f'''| / 6 and, at DPS digits,
rounding error ~10^-DPS / h. With DPS = 50 and h = 1e-20 both are below 1e-38 relative, far under float64's
2.2e-16: the result is the exact directional derivative to every digit a float64 can hold, provided f is smooth
within h of x (no kink: max-pool ties and the like must be kept h away by the caller).
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import numpy as np

from .mp import DPS

STEP = mpmath.mpf("1e-20")


def directional_derivative(f: Callable[[list], object], x: list, v: list) -> mpmath.mpf:
    """d/dt f(x + t v) at t = 0, for f taking a flat list of mpf and returning one mpf.

    `x` and `v` are flat lists of numbers; evaluation happens at DPS digits.
    """
    with mpmath.workdps(DPS):
        xs = [mpmath.mpf(float(a)) for a in x]
        vs = [mpmath.mpf(float(a)) for a in v]
        plus = f([a + STEP * b for a, b in zip(xs, vs)])
        minus = f([a - STEP * b for a, b in zip(xs, vs)])
        return (plus - minus) / (2 * STEP)


def gradient(f: Callable[[list], object], x: np.ndarray) -> np.ndarray:
    """The full gradient of a scalar function of an array, one directional derivative per coordinate.

    Cost: 2·x.size evaluations of f at DPS digits; use on small arrays only.
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel().tolist()
    out = np.empty(x.size)
    for i in range(x.size):
        e = [0.0] * x.size
        e[i] = 1.0
        with mpmath.workdps(DPS):
            out[i] = float(directional_derivative(f, flat, e))
    return out.reshape(x.shape)
