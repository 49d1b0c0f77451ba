r"""A backward that disagrees with its own forward is a finding even where the spec is silent.

`check_vjp_against_forward` is JAX's `check_vjp` idea (jax._src.public_test_util): for a random cotangent dy and
a random direction Δ of the differentiable inputs, reverse mode must satisfy

    Σ_k ⟨vjp(dy)_k, 2Δ_k⟩  ≈  ⟨dy, f(x + Δ) − f(x − Δ)⟩        (central difference, both sides O(|Δ|))

with both sides computed by the backend under test, in the dtype under test.

Tolerance. We perturb x± = round(x ± h·v), so the steps actually taken are Δ± = x± − x, exact in float64,
and compare  L = Σ_k ⟨vjp(dy)_k, x+_k − x−_k⟩  with  R = ⟨dy, f(x+) − f(x−)⟩.  Rounding the step costs nothing
since L uses the steps taken. Taylor expansion about x gives R − L = ½(Δ+ᵀHΔ+ − Δ−ᵀHΔ−) + O(|Δ|³); with
Δ− = −Δ+ + r, |r| <= ε|x| (the two roundings), the quadratic part is O(|H|·h·ε|x|), negligible, leaving the cubic.
  * forward rounding: each f(x±) is within the op's own error allowance A (its error model, absolute units),
    so R is off by at most Σ|dy|·(A(x+) + A(x−));
  * truncation: with h = ε^{1/3}·s (s = max|x|, the inputs' scale) the cubic term relative to
    M = Σ_k ⟨|vjp_k|, |x+_k − x−_k|⟩ (L without cancellation) is ~ (h/s)²·s²|f'''|/|f'| = ε^{2/3}·s²|f'''|/|f'|.
    We allow TRUNCATION·ε^{2/3}·M: it holds while s²|f'''| <= TRUNCATION·|f'| over the step, true for the
    smooth, moderately scaled inputs that gradient properties draw (no huge values, ties kept apart).
A wrong backward (a missing factor, a transposed axis, a dropped term) errs by O(M), far outside both terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..dtypes import eps, round_to
from .harness import Impl

TRUNCATION = 100.0
"""Curvature allowance of the central difference, relative to ε^{2/3}·M (see the module docstring)."""


def check_vjp_against_forward(
    impl: Impl,
    forward: str,
    vjp: str,
    args: Sequence[np.ndarray],
    diff: Sequence[int],
    *,
    forward_allowed: Callable[[Sequence[np.ndarray], np.ndarray], np.ndarray],
    seed: int,
    kwargs: dict[str, Any] | None = None,
) -> None:
    """Assert the backend's `vjp` op agrees with central differences of its own `forward` op.

    `args` are the forward's positional arguments; `diff` the indices of those the vjp differentiates, in the
    order the vjp returns their gradients; the vjp takes (*args, dy, **kwargs). `forward_allowed(args, out)`
    is the forward's absolute error allowance per output element (its error model: ε·budget·scale + tiny).
    """
    __tracebackhide__ = True
    kwargs = kwargs or {}
    rng = np.random.default_rng(seed)
    e = eps(impl.dtype)
    out = impl(forward, *args, **kwargs)
    dy = round_to(rng.standard_normal(np.shape(out)), impl.dtype)
    grads = impl(vjp, *args, dy, **kwargs)
    grads = grads if isinstance(grads, tuple) else (grads,)
    if len(grads) != len(diff):
        raise AssertionError(f"{vjp}({impl.id}) returned {len(grads)} gradients, but should return {len(diff)}")

    plus, minus = list(args), list(args)
    for i in diff:
        x = np.asarray(args[i], dtype=np.float64)
        s = max(float(np.max(np.abs(x))) if x.size else 0.0, 1e-3)
        h = e ** (1 / 3) * s
        v = rng.standard_normal(x.shape)
        plus[i] = round_to(x + h * v, impl.dtype)
        minus[i] = round_to(x - h * v, impl.dtype)
    f_plus = impl(forward, *plus, **kwargs)
    f_minus = impl(forward, *minus, **kwargs)

    with np.errstate(over="ignore", invalid="ignore"):
        lhs = sum(float(np.sum(g * (plus[i] - minus[i]))) for g, i in zip(grads, diff))
        magnitude = sum(float(np.sum(np.abs(g) * np.abs(plus[i] - minus[i]))) for g, i in zip(grads, diff))
        rhs = float(np.sum(dy * (f_plus - f_minus)))
    rounding = float(np.sum(np.abs(dy) * (forward_allowed(plus, f_plus) + forward_allowed(minus, f_minus))))
    allowed = rounding + TRUNCATION * e ** (2 / 3) * magnitude
    impl.stats.record(f"{vjp}~fd", abs(lhs - rhs) / (e * max(magnitude, 1e-300)), abs(lhs - rhs) / max(allowed, 1e-300))
    if not abs(lhs - rhs) <= allowed:
        raise AssertionError(
            f"⟨{vjp}(dy), Δ⟩={lhs!r}, but the central difference of {forward} gives {rhs!r} ± {allowed:.3g} "
            f"[{vjp}({impl.id})]: the backward disagrees with its own forward"
        )
