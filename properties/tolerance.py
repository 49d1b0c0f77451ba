r"""The tolerance model: how far a result may be from the reference, from the dtype's epsilon and the problem.

Derivation, once for every operation
------------------------------------
A backend computes op(x̃) in a working precision with machine epsilon ε, where x̃ are the inputs already
rounded to the dtype under test. The reference is the float64 spec (or an mpmath oracle) evaluated on those same
x̃, so input rounding is never counted against a backend: only the rounding inside its computation is.

Standard first-order rounding-error analysis (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
§2–§4) bounds that error elementwise as

    |got_i - want_i| <= ε · budget_i · scale_i

where scale_i is the magnitude the error naturally grows with (|want_i| for a relative bound, Σ|a_k b_k| for a
dot product, …) and budget_i counts the roundings that can reach element i:
  * one correctly rounded +, −, ×, ÷, sqrt: 1 (we count ε = 2u per rounding, twice the unit roundoff u, which
    absorbs the second-order terms the first-order analysis drops);
  * a library exp, log, rsqrt, log1p: LIBM = 4 (vector math libraries document 1–4 ulp; 1 ulp <= ε|v|);
  * a sum of n terms in any order (recursive, pairwise, tree): n − 1 relative to Σ|terms| (Higham Eq. 4.4 —
    the worst case of recursive summation, which bounds every summation order);
  * an error ε·δ in an exponent becomes a relative error ε·|δ| of exp(δ).
A result that underflows may be flushed to zero (FTZ/DAZ are common on CPUs and GPUs), so every comparison also
allows an absolute `tiny` of the dtype, its smallest normal number.

What the bound is not: it is not widened for a particular backend. A backend that exceeds it computes in a way
that loses accuracy the analysis says is avoidable (a one-pass variance, a sum in a lower precision, TF32
products), and that is a finding for the deviation catalogue. Each operation's own scale and budget, with its
derivation, sits next to its properties (`properties/<family>.py`, section "Error models").

Units for the report: err_eps = max_i |got_i − want_i| / (ε·scale_i + tiny), the error in units of the dtype's
epsilon relative to the operation's natural scale. Two implementations of one operation compare directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..dtypes import FLOAT_DTYPES, eps, max_value, np_dtype, round_to, tiny

__all__ = [
    "FLOAT_DTYPES",
    "LIBM",
    "Bound",
    "Comparison",
    "allowed",
    "compare",
    "eps",
    "max_value",
    "np_dtype",
    "round_to",
    "summation",
    "tiny",
]

LIBM = 4.0
"""Roundings charged to one library call of exp, log, log1p, tanh, rsqrt (1–4 ulp documented accuracy)."""


def summation(n: int | np.ndarray) -> np.ndarray | float:
    """Roundings charged to a sum of n terms, relative to the sum of their magnitudes (Higham Eq. 4.4)."""
    return np.maximum(np.asarray(n, dtype=np.float64) - 1.0, 0.0)


def allowed(bound: Bound, dtype: str) -> np.ndarray:
    """A forward's absolute error allowance per element, ε·budget·|scale| + tiny: what the vjp-against-own-forward
    checks charge each evaluation of the forward (properties/gradients.py)."""
    return eps(dtype) * np.asarray(bound.budget) * np.abs(np.asarray(bound.scale)) + tiny(dtype)


@dataclass(frozen=True)
class Bound:
    """|got − want| <= ε · budget · scale + tiny, elementwise (arrays broadcast against the result)."""

    scale: np.ndarray | float
    budget: np.ndarray | float
    derivation: str = ""


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one result with its reference."""

    ok: bool
    err_eps: float           # max error in units of ε·scale (+ tiny), see the module docstring
    used: float              # max fraction of the budget used; > 1 fails
    worst: tuple[int, ...]   # index of the element with the largest fraction of budget used
    got: float
    want: float
    allowed: float           # the absolute error allowed at `worst`


def compare(got: np.ndarray, want: np.ndarray, bound: Bound, dtype: str) -> Comparison:
    """Compare elementwise; non-finite references must be matched exactly (same inf, or NaN for NaN)."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise ValueError(f"shapes differ: got {got.shape}, want {want.shape}")
    e, t = eps(dtype), tiny(dtype)
    scale = np.broadcast_to(np.abs(np.asarray(bound.scale, dtype=np.float64)), want.shape)
    budget = np.broadcast_to(np.asarray(bound.budget, dtype=np.float64), want.shape)
    unit = e * scale + t
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - want)
    finite = np.isfinite(want)
    same_special = (got == want) | (np.isnan(got) & np.isnan(want))
    err = np.where(finite, np.where(np.isnan(err), np.inf, err), np.where(same_special, 0.0, np.inf))
    # A reference beyond the dtype's range rounds to ±inf there (IEEE overflow), and saturating at ±max is
    # the only other honest answer: either is exact for the dtype.
    big = max_value(dtype)
    overflowed = finite & (np.abs(want) > big) & (np.sign(got) == np.sign(want)) & (np.abs(got) >= big)
    err = np.where(overflowed, 0.0, err)
    units = err / unit
    with np.errstate(divide="ignore", invalid="ignore"):  # an exact result uses none of a zero budget
        used = np.where(units == 0, 0.0, units / budget)
    if want.size == 0:
        return Comparison(True, 0.0, 0.0, (), 0.0, 0.0, 0.0)
    worst = np.unravel_index(int(np.argmax(used)), want.shape)
    return Comparison(
        ok=bool(np.all(used <= 1.0)),
        err_eps=float(units.max()),
        used=float(used[worst]),
        worst=tuple(int(i) for i in worst),
        got=float(got[worst]),
        want=float(want[worst]),
        allowed=float(budget[worst] * unit[worst]),
    )
