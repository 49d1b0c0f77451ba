"""Properties of the KL family: D(P‖Q) and its gradient in q, the KL loss in PyTorch's calling convention
(log q, p or log p, a reduction), the Gaussian KL and the VAE latent loss.

Reach (the input regions the strategies reach, and the share of the CI profile's 100 examples a property spends
in each; measured by drawing each strategy under the CI profile, float32 unless said):

| region | strategies | share |
|---|---|---|
| distribution length 1–16 (SHAPES, any axis) | every discrete-KL case | 84–94 % |
| long axis 33, 257, 1025, 4097 (LONG_SHAPES, last axis) | every discrete-KL case | 6–16 % (1 in 8 drawn) |
| exact zeros in p | near-zero / kl_div_loss (p as probabilities) | 27 % (float16 43 %) / ~50 % of non-log cases |
| near-zeros down to subnormals (p < 1e-30; float16 to 1e-7) | near-zero cases | 8 % (float32), 0 in float16 |
| q down to the smallest normal | near-zero cases | all q are >= tiny by construction |
| reductions batchmean / sum / mean / none | kl_div_loss | 34 / 29 / 20 / 17 % |
| log_target (target = log p rounded to the dtype) | kl_div_loss | 53 % |
| σ ordinary (10^±3 float32, 10^±1 float16) | Gaussian KL | ~1/3 |
| σ near the largest finite value (σ² overflows, σ1/σ2 and D fit) | Gaussian KL | ~1/3 (σ ≈ 1e34–1e37) |
| σ near √tiny (σ² underflows, log σ and D fit) | Gaussian KL | ~1/3 (σ ≈ 1e-23–1e-19) |
| σ < √tiny / ½Σ(μ² + σ²) near the largest finite value | VAE loss | 29 % / 25 % (float16 34 % / 1 %) |
| parameters: dy from N(0, 1) | vjp cases | all |

Not reached: 0 log-probability targets (log_target with p = 0, i.e. target = −∞); q = 0 with p > 0 (D = +∞);
float16 sums past 65504 (D is at most a few hundred here).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hypothesis import strategies as st

from ..dtypes import eps, max_value, round_to, tiny
from ..spec import kl as S
from .assertions import assert_close, assert_output_dtype
from .gradients import TRUNCATION
from .harness import Case, Impl, prop
from .strategies import cached, integers, rarely, sampled_from, seeds, shapes
from .tolerance import LIBM, Bound, summation
from .tolerance import allowed as _allowed

# ---------------------------------------------------------------------------------------------------------
# Error models (see properties/tolerance.py for the method)
#
# kl_divergence, D = Σ_i t_i over the support of p, n terms along the axis. Two algorithms are accepted:
#   (a) t_i = p_i(log p_i − log q_i) (the spec, torch's kl_div on log q, optax): the two logs err by
#       LIBM·ε|log p_i| and LIBM·ε|log q_i| (absolute), the subtraction and the product by one rounding each
#       of at most |log p_i| + |log q_i|: |Δt_i| <= ε·p_i·(LIBM + 2)(|log p_i| + |log q_i|);
#   (b) t_i = p_i·log(p_i/q_i) (Keras): the quotient's rounding is an absolute ε in the log, the log adds
#       LIBM·ε|log(p_i/q_i)|, the product one more: |Δt_i| <= ε·p_i·((LIBM + 1)(|log p_i| + |log q_i|) + 1).
#   A framework's log q that is itself an input to kl_div (torch's calling convention) is case (a); xlogy(p, p)
#   adds one rounding: LIBM + 3 covers both. The sum adds (n − 1)·Σ|t_i| (Higham 4.4).
#   scale = Σ_i p_i(|log p_i| + |log q_i| + 1), budget = LIBM + 3 + (n − 1).
#   The (n − 1) is charged in the dtype's ε here (kl_div_loss below charges it in the accumulation precision):
#   jax:optax (jnp.sum) and tensorflow:keras (ops.sum) are not known to accumulate half inputs wider, and at the
#   lengths drawn (<= 4097) the terms' own roundings dominate a half-precision running sum anyway (see kl_div_loss).
# Inputs sum to 1 only within the spec's tolerance (spec/kl.py), which D can only feel through its value: the
# exact D of such inputs is the exact D of the given numbers, so no allowance is needed for it, except in
# D >= 0 (Gibbs): Σ p log(p/q) >= Σp − Σq (from log x <= x − 1), so D may be as low as −|Σp − Σq|.
#
# kl_divergence_vjp, dq_i = −dy·p_i/q_i: one division and one product, |Δ| <= 2ε|dq_i| for the direct
# algorithm; autodiff through log q (1/q, then × −p, then × dy) or through log(p/q) (1/(p/q), × p, × −p/q²-style
# chains) takes at most 6 roundings of quantities each within ε of exact: 8 relative to |dy·p_i/q_i|.
# An API that takes log-probabilities (torch kl_div(log_target=True), MLX, optax kl_divergence_with_log_targets)
# is handed log p rounded to the dtype: |Δ log p| <= u|log p| = (ε/2)|log p| (the adapter's translation of the
# calling convention, an input rounding), and its kernel forms p = exp(log p) (LIBM): a relative error of
# ε(|log p|/2 + LIBM) in p, hence in dq. Budget 8 + LIBM + |log p_i|/2 (issue 17: p = 3.5e-12 in float32 erred by
# 18.3 ε, within 8 + 4 + 13.2). The extra term is below 17 ε for every ordinary p (>= 1e-4), far under what the
# known inferior algorithms err by (a half-precision gradient, 2^13 ε of float32; a clipped p, 100 %).
#
# Flushed subnormals, one rule for every quantity of this family (properties/tolerance.py lets any value below
# the dtype's smallest normal be flushed to zero, FTZ/DAZ, as XLA on CPU does by design), applied to inputs and to
# the intermediates of the algorithm alike: a p_i below tiny may be read as 0, so its term p_i(log p_i − log q_i)
# may be dropped from D; and the gradient −dy·p_i/q_i (a normal number when q_i is small) may be 0 when p_i, the
# chain rule's intermediate dy·p_i, or p_i/q_i is below tiny (XLA forms dy·p_i first: jax:optax on p = 2.6e-36,
# dy = 0.0038 gives dq = 0 for −1.7e-36). Allowed in full, absolutely, for those entries only:
# D gets + Σ_{p_i < tiny} p_i(|log p_i| + |log q_i|), dq_i gets + |dy·p_i/q_i|.
# kl_div_loss (PyTorch's calling convention): ℓ_i = p_i(log p_i − log q_i) with log q given (no log taken of it)
# and p given (log p: LIBM) or log p given (p = exp(log p): LIBM relative), so |Δℓ_i| <= ε·p_i(LIBM + 3)(|log p_i|
# + |log q_i| + 1), as D's terms. 'sum', 'mean' and 'batchmean' sum all n = numel terms and, for the means, divide
# once (+1). The sum is charged in the ACCUMULATION precision: (n − 1)·ε_acc·Σ|ℓ_i|, ε_acc = ε(float32) for
# float16/bfloat16 inputs (PyTorch reduces half-precision tensors with a float32 accumulator, at::acc_type; the
# NumPy backend does the same) and the dtype's ε otherwise; the result is rounded to the dtype once (+1).
# Charging (n − 1)·ε16 instead would accept any answer within 4·Σ|ℓ| at n = 4097. What the field does accept: a
# float16 running sum of the terms (pytorch/pytorch#2391) errs by about as much as the terms' own float16 roundings
# (LIBM + 3)ε16·Σ p(|log p| + |log q|), which a half-precision kl_div (torch rounds each elementwise op to float16)
# really commits, so at the lengths drawn here (<= 4097, D of order 1) no honest model can reject it: measured on
# 4097-long float16 cases, 0.0007–0.05 of error against allowances of 0.15–0.7. It is not in the gallery.
#
# gaussian_kl, D = ½(v + t − 1 − log v), v = (σ1/σ2)², t = ((μ1 − μ2)/σ2)² (torch), or the spec's
# log(σ2/σ1) + (σ1² + (μ1 − μ2)²)/(2σ2²) − ½, or with log σ2 − log σ1: v errs by 3ε·v, t by 5ε·t, log v by
# (LIBM·|log v| + 3)ε, the three sums by 3ε(v + t + 1 + |log v|); with |log v| <= 2(|log σ1| + |log σ2|):
# |ΔD| <= ε[4(v + t) + (LIBM + 3)(|log σ1| + |log σ2|) + 3] <= ε·(LIBM + 8)·scale,
# scale = (v + t)/2 + |log σ1| + |log σ2| + 1.
# Accepted on purpose: log σ2 − log σ1 (the log-variance form of diffusion and VAE code, e.g. DALLE2-pytorch's
# normal_kl): its cancellation errs by LIBM·ε(|log σ1| + |log σ2|), which the scale charges — the field computes
# from log-variances and cannot do better. Rejected wherever D is representable: σ1² and σ2² formed in the dtype
# (overflow past √max, underflow below √tiny while σ1/σ2 and D fit; mutant gaussian-kl-variances-before-ratio).
#
# vae_latent_loss, L = ½ Σ_j (μ_j² + σ_j² − log σ_j² − 1): μ², σ² one rounding each, log σ² LIBM·|log σ²| + 1
# (its argument's rounding), three add/subtract roundings of at most the terms' magnitudes, then the sum of n:
# scale = ½ Σ_j (μ_j² + σ_j² + |log σ_j²| + 1), budget = LIBM + 5 + (n − 1) (the ½ is exact).
# Rejected: log of a σ² formed in the dtype, which underflows below √tiny while the loss (≈ −log σ²) is finite
# (mutant vae-loss-log-of-squared-sigma); a σ² rounded to a subnormal already loses most of its digits.
# ---------------------------------------------------------------------------------------------------------


def _logs(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore"):
        lp = np.where(p > 0, np.abs(np.log(np.where(p > 0, p, 1.0))), 0.0)
        lq = np.where(p > 0, np.abs(np.log(np.where(p > 0, q, 1.0))), 0.0)
    return lp, lq


def _flushable(p: np.ndarray, dtype: str | None) -> np.ndarray:
    """Entries a backend may read as zero: positive and below the dtype's smallest normal (FTZ/DAZ)."""
    if dtype is None:
        return np.zeros(np.shape(p), dtype=bool)
    return (p > 0) & (p < tiny(dtype))


def kl_bound(p: np.ndarray, q: np.ndarray, axis: int, dtype: str | None = None) -> Bound:
    """D's allowance; with `dtype`, plus the whole term of every p_i a backend may flush (see Error models)."""
    lp, lq = _logs(p, q)
    scale = (np.where(p > 0, p * (lp + lq + 1.0), 0.0)).sum(axis=axis)
    budget = LIBM + 3 + summation(p.shape[axis])
    if dtype is None or not np.any(_flushable(p, dtype)):
        return Bound(scale=scale, budget=budget, derivation="ε·Σ p(|log p| + |log q| + 1)·(LIBM + 3 + (n − 1))")
    flushed = np.where(_flushable(p, dtype), p * (lp + lq), 0.0).sum(axis=axis)
    return Bound(scale=scale * budget + flushed / eps(dtype), budget=1.0,
                 derivation="ε·Σ p(|log p| + |log q| + 1)·(LIBM + 3 + (n − 1)) + Σ_{p < tiny} p(|log p| + |log q|)")


def kl_vjp_bound(p: np.ndarray, q: np.ndarray, dy: np.ndarray, axis: int, dtype: str | None = None) -> Bound:
    """dq's allowance: relative (8 + LIBM + |log p|/2)ε, and the whole of dq where p, dy·p or p/q may be flushed."""
    lp, _ = _logs(p, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(p > 0, np.abs(np.expand_dims(dy, axis)) * p / q, 0.0)
    budget = 8.0 + LIBM + lp / 2
    if dtype is not None:
        # the chain rule's intermediates: p itself, dy·p (dy times the weight, before the division) and p/q
        with np.errstate(divide="ignore", invalid="ignore"):
            small = np.minimum(np.minimum(p, np.abs(np.expand_dims(dy, axis)) * p), np.where(q > 0, p / q, np.inf))
        budget = np.where((p > 0) & (small < tiny(dtype)), budget + 1.0 / eps(dtype), budget)
    return Bound(scale=scale, budget=budget,
                 derivation="relative: (8 + LIBM + |log p|/2)ε|dy·p/q| (chain rule; log p rounded for APIs "
                            "taking log-probabilities), all of it where p, dy·p or p/q < tiny (flushed)")


def _accumulation_eps(dtype: str) -> float:
    """ε of the precision a reduction of `dtype` inputs accumulates in: float32 for the half types."""
    return eps("float32") if dtype in ("float16", "bfloat16") else eps(dtype)


def kl_div_loss_bound(log_q: np.ndarray, target: np.ndarray, reduction: str, log_target: bool, dtype: str) -> Bound:
    """The kl_div_loss allowance of the error model above, for the inputs the API takes."""
    with np.errstate(divide="ignore", over="ignore"):
        p = np.exp(target) if log_target else target
        lp = np.abs(target) if log_target else np.abs(np.log(np.where(p > 0, p, 1.0)))
    lq = np.where(p > 0, np.abs(np.where(np.isfinite(log_q), log_q, 0.0)), 0.0)
    term = np.where(p > 0, p * (lp + lq + 1.0), 0.0)
    flushed = np.where(_flushable(p, dtype), p * (lp + lq), 0.0)
    e = eps(dtype)
    if reduction == "none":
        return Bound(scale=term * (LIBM + 3) + flushed / e, budget=1.0,
                     derivation="ε·p(|log p| + |log q| + 1)(LIBM + 3), all of ℓ where p < tiny (flushed)")
    n = target.size
    divisor = {"sum": 1, "batchmean": target.shape[0], "mean": n}[reduction]
    budget = LIBM + 3 + 1 + (reduction != "sum") + summation(n) * _accumulation_eps(dtype) / e
    return Bound(scale=(term.sum() * budget + flushed.sum() / e) / divisor, budget=1.0,
                 derivation=f"ε·Σ p(|log p| + |log q| + 1)·(LIBM + 5 + (n − 1)ε_acc/ε) / {divisor} ({reduction}), "
                            "ε_acc = ε(float32) for half inputs")


def gaussian_kl_bound(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> Bound:
    with np.errstate(over="ignore"):
        v = (sigma1 / sigma2) ** 2
        t = ((mu1 - mu2) / sigma2) ** 2
    scale = (v + t) / 2 + np.abs(np.log(sigma1)) + np.abs(np.log(sigma2)) + 1.0
    return Bound(scale=scale, budget=LIBM + 8,
                 derivation="ε((v + t)/2 + |log σ1| + |log σ2| + 1)(LIBM + 8), v = (σ1/σ2)², t = ((μ1−μ2)/σ2)²")


def vae_bound(mu: np.ndarray, sigma: np.ndarray, axis: int) -> Bound:
    scale = 0.5 * (mu**2 + sigma**2 + np.abs(np.log(sigma**2)) + 1.0).sum(axis=axis)
    return Bound(scale=scale, budget=LIBM + 5 + summation(mu.shape[axis]),
                 derivation="ε·½Σ(μ² + σ² + |log σ²| + 1)·(LIBM + 5 + (n − 1))")


def _sum_of(bounds: list[Bound], dtype: str, extra: np.ndarray | float = 0.0, what: str = "") -> Bound:
    """Several allowances added up, as one Bound in units of ε (scale = total/ε, budget 1)."""
    total = sum(_allowed(b, dtype) for b in bounds) + extra
    return Bound(scale=np.asarray(total) / eps(dtype), budget=1.0, derivation=what)


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

SHAPES = [(1, 1), (1, 2), (2, 3), (3, 5), (2, 3, 4), (4, 8), (2, 16)]
"""Batch sizes 1 and 2, a one-outcome distribution, a 3-D case for a non-last axis."""

LONG_SHAPES = [(2, 33), (1, 257), (1, 1025), (1, 4097)]
"""Rare long distributions (about 1 example in 8, along the last axis): lengths just past the vector widths and
block sizes where reductions change code path (33, 257, 1025, 4097); four shapes, so JAX compiles four more."""

LONG_ONE_IN = 8

ORDINARY_FLOOR = 1e-4
"""Smallest probability of the ordinary cases: every log and every ratio p/q (<= 10^4) fits every dtype, and it
is far above the clipping thresholds frameworks use (Keras: 1e-7), so those cases audit the formula alone."""

SPREADS = (1.0, 0.0, 4.0, 16.0)
"""σ of the log-weights: 1 mild, 0 uniform, 4 a dominant mass, 16 near-zeros (and underflow to exact zeros)."""

NEAR_ZERO = {"float16": (4, 7), "bfloat16": (4, 38), "float32": (4, 38), "float64": (4, 300)}
"""Exponents e of injected near-zero probabilities 10^-e: down to the dtype's subnormals (Keras clips at 1e-7)."""

P_SPECIALS = ("none", "zeros", "near_zeros", "dominant", "one_hot")


def _normalised(w: np.ndarray, axis: int, dtype: str) -> np.ndarray:
    """w / Σw rounded to the dtype, then the residual 1 − Σ moved into each slice's largest entry (twice), so
    the sum is 1 as exactly as the dtype's grid allows (exactly, unless finer entries make that impossible)."""
    p = round_to(w / w.sum(axis=axis, keepdims=True), dtype)
    for _ in range(2):
        r = 1.0 - p.sum(axis=axis, keepdims=True)
        moved = np.moveaxis(p, axis, -1).copy()
        big = np.argmax(moved, axis=-1)[..., None]
        old = np.take_along_axis(moved, big, -1)
        new = round_to(old + np.moveaxis(r, axis, -1), dtype)
        # a long half-precision slice can owe more than its largest entry holds (4097 entries of 2^-12 in
        # bfloat16): leave that slice as rounded, its sum within the spec's n·ε tolerance
        np.put_along_axis(moved, big, np.where(new >= 0, new, old), -1)
        p = np.moveaxis(moved, -1, axis)
    return p


@cached
@st.composite
def distributions(draw: st.DrawFn, shape: tuple[int, ...], axis: int, dtype: str, *, extreme: bool = True,
                  zeros: bool = True, label: str = "p") -> np.ndarray:
    """Probability vectors along `axis`, valid by construction: positive weights exp(s·z) (s drawn) normalised in
    the dtype. `extreme`: drawn injections (exact zeros if `zeros`, near-zeros 10^-e, a dominant mass, one-hot
    slices) and s up to 16; else ordinary: s <= 2, a dominant mass at most, every entry >= ORDINARY_FLOOR.
    Without `zeros` every entry is at least the dtype's smallest normal. Shrinks towards seed 0, s = 1, none."""
    seed = draw(seeds(), label=f"{label}.seed")
    spread = draw(sampled_from(SPREADS if extreme else (1.0, 0.0, 2.0)), label=f"{label}.spread")
    specials = (P_SPECIALS if zeros else ("none", "near_zeros", "dominant")) if extreme else ("none", "dominant")
    special = draw(sampled_from(specials), label=f"{label}.special")
    lo, hi = NEAR_ZERO[dtype]
    e = draw(integers(lo, hi), label=f"{label}.near_zero_exponent") if special == "near_zeros" else 0
    rng = np.random.default_rng(seed)
    w = np.exp(spread * rng.standard_normal(shape))
    n = shape[axis]
    moved = np.moveaxis(w, axis, -1)
    picks = rng.random(moved.shape) < 0.4
    keep = rng.integers(0, n, size=moved.shape[:-1])[..., None]  # one entry per slice stays untouched
    picks &= np.arange(n) != keep
    if special == "zeros":
        moved[picks] = 0.0
    elif special == "one_hot":
        moved[...] = np.where(np.arange(n) == keep, 1.0, 0.0)
    elif special == "dominant":
        np.put_along_axis(moved, keep, moved.sum(axis=-1, keepdims=True) * (1e3 if extreme else 30.0), -1)
    p = _normalised(np.moveaxis(moved, -1, axis), axis, dtype)
    if special == "near_zeros":
        moved = np.moveaxis(p, axis, -1)
        moved[picks] = round_to(10.0**-e * (1 + rng.random(int(picks.sum()))), dtype)
        p = _normalised(np.moveaxis(moved, -1, axis), axis, dtype)
    if not extreme:
        p = _normalised(np.maximum(p, ORDINARY_FLOOR), axis, dtype)
    elif not zeros:  # strictly positive: underflowed entries become the dtype's smallest normal
        p = _normalised(np.maximum(p, tiny(dtype)), axis, dtype)
    return p


@cached
@st.composite
def _shape_axis(draw: st.DrawFn) -> tuple[tuple[int, ...], int]:
    shape = draw(rarely(shapes(SHAPES), shapes(LONG_SHAPES), one_in=LONG_ONE_IN, label="long axis"), label="shape")
    if shape in LONG_SHAPES:
        return shape, -1
    return shape, draw(integers(-len(shape), len(shape) - 1), label="axis")


def _out_shape(p: np.ndarray, axis: int) -> tuple[int, ...]:
    ax = axis % p.ndim
    return p.shape[:ax] + p.shape[ax + 1:]


def _dy(draw: st.DrawFn, p: np.ndarray, axis: int, dtype: str) -> np.ndarray:
    return round_to(np.random.default_rng(draw(seeds(), label="dy.seed")).standard_normal(_out_shape(p, axis)),
                    dtype)


@lru_cache
def ordinary_pair_cases(dtype: str) -> st.SearchStrategy[Case]:
    """p and q with every probability >= ORDINARY_FLOOR; a dy for the gradient."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, axis = draw(_shape_axis())
        p = draw(distributions(shape, axis, dtype, extreme=False, label="p"))
        q = draw(distributions(shape, axis, dtype, extreme=False, label="q"))
        return Case(p=p, q=q, dy=_dy(draw, p, axis, dtype), axis=axis)

    return build()


@lru_cache
def near_zero_pair_cases(dtype: str) -> st.SearchStrategy[Case]:
    """p with exact zeros, near-zeros, dominant masses, one-hot slices; q strictly positive with near-zeros."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, axis = draw(_shape_axis())
        p = draw(distributions(shape, axis, dtype, label="p"))
        q = draw(distributions(shape, axis, dtype, zeros=False, label="q"))
        return Case(p=p, q=q, dy=_dy(draw, p, axis, dtype), axis=axis)

    return build()


@lru_cache
def positive_near_zero_cases(dtype: str) -> st.SearchStrategy[Case]:
    """One strictly positive p with near-zeros and dominant masses (for D(P‖P))."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, axis = draw(_shape_axis())
        return Case(p=draw(distributions(shape, axis, dtype, zeros=False, label="p")), axis=axis)

    return build()


def _with_zeros(p: np.ndarray, axis: int, dtype: str) -> np.ndarray:
    """p with an exact zero in every slice of length >= 2: the smaller half is zeroed, its mass moved."""
    pm = np.moveaxis(p, axis, -1).copy()
    for idx in np.ndindex(pm.shape[:-1]):
        row = pm[idx]
        if row.size >= 2 and not np.any(row == 0):
            small = np.argsort(row)[: row.size // 2]
            row[np.argmax(row)] += row[small].sum()
            row[small] = 0.0
    return _normalised(round_to(np.moveaxis(pm, -1, axis), dtype), axis, dtype)


@lru_cache
def zero_support_cases(dtype: str) -> st.SearchStrategy[Case]:
    """p with exact zeros in every slice of length >= 2, an ordinary q, and q2: q reversed on p's zeros.
    (q is ordinary so that this sentence is about the zeros of p; near-zero q is the near-zero properties' case.)"""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, axis = draw(_shape_axis())
        p = _with_zeros(draw(distributions(shape, axis, dtype, label="p")), axis, dtype)
        q = draw(distributions(shape, axis, dtype, extreme=False, label="q"))
        pm, qm = np.moveaxis(p, axis, -1), np.moveaxis(q, axis, -1).copy()
        for idx in np.ndindex(pm.shape[:-1]):
            z = np.flatnonzero(pm[idx] == 0)
            qm[idx][z] = qm[idx][z[::-1]]
        return Case(p=p, q=q, q2=np.moveaxis(qm, -1, axis), axis=axis)

    return build()


@lru_cache
def shared_zero_cases(dtype: str) -> st.SearchStrategy[Case]:
    """p with exact zeros in every slice of length >= 2, and an ordinary q made zero on some of them (at least one
    per slice)."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, axis = draw(_shape_axis())
        p = _with_zeros(draw(distributions(shape, axis, dtype, label="p")), axis, dtype)
        q = draw(distributions(shape, axis, dtype, extreme=False, label="q"))
        rng = np.random.default_rng(draw(seeds(), label="q.zeros.seed"))
        pm, qm = np.moveaxis(p, axis, -1), np.moveaxis(q, axis, -1).copy()
        for idx in np.ndindex(pm.shape[:-1]):
            z = np.flatnonzero(pm[idx] == 0)
            if z.size:
                qm[idx][z[rng.random(z.size) < 0.5]] = 0.0
                qm[idx][z[0]] = 0.0
        q = _normalised(np.moveaxis(qm, -1, axis), axis, dtype)
        return Case(p=p, q=q, dy=_dy(draw, p, axis, dtype), axis=axis)

    return build()


@lru_cache
def smooth_vjp_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Strictly positive p and q of moderate spread (no near-zeros) for central differences."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, axis = draw(_shape_axis())
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        p = _normalised(np.exp(rng.standard_normal(shape)), axis, dtype)
        q = _normalised(np.exp(rng.standard_normal(shape)), axis, dtype)
        return Case(p=p, q=q, axis=axis, seed=draw(seeds(), label="direction.seed"))

    return build()


LOSS_REDUCTIONS = ("batchmean", "sum", "mean", "none")
"""kl_div_loss's reductions, the default first (failures shrink towards it)."""


@lru_cache
def kl_div_loss_cases(dtype: str) -> st.SearchStrategy[Case]:
    """log q (a strictly positive distribution along the last axis, its log rounded to the dtype), the target p
    with exact zeros and near-zeros, or log p rounded to the dtype (log_target, p > 0), and a reduction."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, _ = draw(_shape_axis())
        log_target = draw(st.booleans(), label="log_target")
        reduction = draw(sampled_from(LOSS_REDUCTIONS), label="reduction")
        p = draw(distributions(shape, -1, dtype, zeros=not log_target, label="p"))
        q = draw(distributions(shape, -1, dtype, zeros=False, label="q"))
        with np.errstate(divide="ignore"):
            target = round_to(np.log(p), dtype) if log_target else p
        return Case(log_q=round_to(np.log(q), dtype), target=target, reduction=reduction, log_target=log_target)

    return build()


GAUSS_SHAPES = [(1,), (2,), (3, 4), (2, 8)]
SIGMA_EXPONENTS = {"float16": (-1, 1), "bfloat16": (-2, 2), "float32": (-3, 3), "float64": (-6, 6)}
"""log10 σ ranges of the ordinary cases: σ², σ1/σ2 and ((μ1 − μ2)/σ2)² stay inside the dtype."""

MAGNITUDES = ("ordinary", "top", "bottom")
"""Where the σ's and μ's of a case sit: the ordinary ranges; near the dtype's largest finite value (σ1² and σ2²
overflow while σ1/σ2 and D fit); near its smallest normal (σ² underflows while log σ and D fit)."""

GAUSS_SPECIALS = ("none", "equal", "standard")


def _extreme_exponent(dtype: str, magnitude: str, headroom: float = 1.0) -> int:
    """log10 of a scale near the top (largest finite / headroom) or the bottom (√tiny) of the dtype, rounded in."""
    if magnitude == "top":
        return int(np.floor(np.log10(max_value(dtype) / headroom))) - 1
    return int(np.floor(np.log10(np.sqrt(tiny(dtype)))))


def _gaussian(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = SIGMA_EXPONENTS[dtype]
    sigma = round_to(10.0 ** np.clip(k + 0.3 * rng.standard_normal(shape), lo, hi), dtype)
    mu = round_to(10.0 ** np.clip(k, lo, hi - 1) * rng.standard_normal(shape), dtype)
    return mu, sigma


def _extreme_gaussian(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, k: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """σ = 10^(k + 0.3·z) and μ = 10^(k − 1)·z' at an extreme k, clipped inside the dtype's normal range."""
    limit = max_value(dtype) / 4
    sigma = round_to(np.clip(10.0 ** (k + 0.3 * rng.standard_normal(shape)), tiny(dtype), limit), dtype)
    mu = round_to(np.clip(10.0 ** (k - 1) * rng.standard_normal(shape), -limit, limit), dtype)
    return mu, sigma


@lru_cache
def gaussian_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Two Gaussians per element; injected: some elements equal (D = 0) or the second standard (0, 1)."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(shapes(GAUSS_SHAPES), label="shape")
        lo, hi = SIGMA_EXPONENTS[dtype]
        magnitude = draw(sampled_from(MAGNITUDES), label="magnitude")
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        if magnitude == "ordinary":
            mu1, sigma1 = _gaussian(rng, shape, dtype, draw(integers(lo, hi), label="k1"))
            mu2, sigma2 = _gaussian(rng, shape, dtype, draw(integers(lo, hi), label="k2"))
        else:  # both Gaussians at one extreme scale: their ratios, and D, stay ordinary
            k = _extreme_exponent(dtype, magnitude) - draw(integers(0, 2), label="k below the extreme")
            mu1, sigma1 = _extreme_gaussian(rng, shape, dtype, k)
            mu2, sigma2 = _extreme_gaussian(rng, shape, dtype, k)
        special = draw(sampled_from(GAUSS_SPECIALS), label="special")
        picks = rng.random(shape) < 0.5
        if special == "equal":
            mu2, sigma2 = np.where(picks, mu1, mu2), np.where(picks, sigma1, sigma2)
        elif special == "standard" and magnitude == "ordinary":  # (0, 1) against an extreme σ1: D overflows
            mu2, sigma2 = np.where(picks, 0.0, mu2), np.where(picks, 1.0, sigma2)
        return Case(mu1=mu1, sigma1=sigma1, mu2=mu2, sigma2=sigma2)

    return build()


VAE_SHAPES = [(1, 1), (2, 3), (4, 8), (2, 3, 4)]


@lru_cache
def vae_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Latent means and standard deviations per sample; injected: some latents exactly standard (0, 1)."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(shapes(VAE_SHAPES), label="shape")
        axis = draw(integers(-len(shape), len(shape) - 1), label="axis")
        lo, hi = SIGMA_EXPONENTS[dtype]
        magnitude = draw(sampled_from(MAGNITUDES), label="magnitude")
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        if magnitude == "ordinary":
            mu, sigma = _gaussian(rng, shape, dtype, draw(integers(lo, hi), label="k"))
        else:  # top: ½Σ(μ² + σ²) stays below the largest finite value (the square root of max/(8·size));
            # bottom: σ² underflows, −log σ² ≈ 2.3·|k|·2 does not
            k = _extreme_exponent(dtype, magnitude, headroom=8.0 * int(np.prod(shape)))
            k = (k + 1) // 2 - 1 if magnitude == "top" else k
            k -= draw(integers(0, 2), label="k below the extreme")
            mu, sigma = _extreme_gaussian(rng, shape, dtype, k)
        if draw(st.booleans(), label="standard"):
            picks = rng.random(shape) < 0.5
            mu, sigma = np.where(picks, 0.0, mu), np.where(picks, 1.0, sigma)
        return Case(mu=mu, sigma=sigma, axis=axis)

    return build()


# ---------------------------------------------------------------------------------------------------------
# Properties: KL divergence of discrete distributions
# ---------------------------------------------------------------------------------------------------------


def _matches_spec(impl: Impl, case: Case) -> None:
    got = impl("kl_divergence", case.p, case.q, axis=case.axis)
    want = S.kl_divergence(case.p, case.q, axis=case.axis)
    assert_close("kl_divergence", got, want, kl_bound(case.p, case.q, case.axis, impl.dtype), impl=impl)


@prop("kl_divergence", cases=ordinary_pair_cases)
def kl_divergence_matches_spec(impl: Impl, case: Case) -> None:
    """kl_divergence(p, q) equals Σ_i p_i log(p_i/q_i) along the axis."""
    _matches_spec(impl, case)


@prop("kl_divergence", cases=near_zero_pair_cases)
def kl_divergence_matches_spec_near_zero(impl: Impl, case: Case) -> None:
    """kl_divergence(p, q) equals Σ_i p_i log(p_i/q_i) also for probabilities down to the dtype's subnormals,
    with 0·log(0/q) = 0 for p_i = 0."""
    _matches_spec(impl, case)


@prop("kl_divergence", cases=near_zero_pair_cases)
def kl_divergence_is_non_negative(impl: Impl, case: Case) -> None:
    """D(P‖Q) >= 0 (Gibbs' inequality), within the rounding of D and of the inputs' sums."""
    got = impl("kl_divergence", case.p, case.q, axis=case.axis)
    slack = np.abs(case.p.sum(axis=case.axis) - case.q.sum(axis=case.axis))  # D >= Σp − Σq, exactly
    bound = _sum_of([kl_bound(case.p, case.q, case.axis, impl.dtype)], impl.dtype, slack,
                    "D's allowance + |Σp − Σq|")
    assert_close("kl_divergence", np.maximum(got, 0.0), got, bound, impl=impl, what="max(D, 0) vs D")


@prop("kl_divergence", cases=positive_near_zero_cases)
def kl_divergence_is_zero_when_p_equals_q(impl: Impl, case: Case) -> None:
    """D(P‖P) = 0."""
    got = impl("kl_divergence", case.p, case.p, axis=case.axis)
    assert_close("kl_divergence", got, np.zeros_like(got), kl_bound(case.p, case.p, case.axis, impl.dtype),
                 impl=impl,
                 what="D(P‖P)")


@prop("kl_divergence", cases=ordinary_pair_cases)
def kl_divergence_is_asymmetric(impl: Impl, case: Case) -> None:
    """D(P‖Q) − D(Q‖P) equals the spec's: the argument order matters (p is the reference, q the model)."""
    pq = impl("kl_divergence", case.p, case.q, axis=case.axis)
    qp = impl("kl_divergence", case.q, case.p, axis=case.axis)
    want = S.kl_divergence(case.p, case.q, axis=case.axis) - S.kl_divergence(case.q, case.p, axis=case.axis)
    bound = _sum_of([kl_bound(case.p, case.q, case.axis, impl.dtype), kl_bound(case.q, case.p, case.axis, impl.dtype)],
                    impl.dtype,
                    what="both directions' allowances")
    assert_close("kl_divergence", pq - qp, want, bound, impl=impl, what="D(P‖Q) − D(Q‖P)")


@prop("kl_divergence", cases=ordinary_pair_cases)
def kl_divergence_is_cross_entropy_minus_entropy(impl: Impl, case: Case) -> None:
    """D(P‖Q) = H(P, Q) − H(P)."""
    got = impl("kl_divergence", case.p, case.q, axis=case.axis)
    h_pq = S.cross_entropy_of(case.p, case.q, axis=case.axis)
    h_p = S.entropy(case.p, axis=case.axis)
    # the float64 difference of the two entropies carries its own rounding: LIBM + n roundings of each
    n = case.p.shape[case.axis]
    extra = np.finfo(np.float64).eps * (LIBM + n + 2) * (np.abs(h_pq) + np.abs(h_p))
    bound = _sum_of([kl_bound(case.p, case.q, case.axis, impl.dtype)], impl.dtype, extra,
                    "D's allowance + H's rounding in f64")
    assert_close("kl_divergence", got, h_pq - h_p, bound, impl=impl, what="D vs H(P,Q) − H(P)")


@prop("kl_divergence", cases=zero_support_cases)
def kl_divergence_ignores_q_where_p_is_zero(impl: Impl, case: Case) -> None:
    """Zero-probability entries of p contribute 0, whatever q holds there (0·log(0/q) = 0)."""
    got = impl("kl_divergence", case.p, case.q2, axis=case.axis)  # q rearranged on p's zeros
    want = S.kl_divergence(case.p, case.q, axis=case.axis)
    assert_close("kl_divergence", got, want, kl_bound(case.p, case.q2, case.axis, impl.dtype), impl=impl,
                 what="D(P‖Q rearranged where p = 0)")


@prop("kl_divergence", "kl_divergence_vjp", cases=shared_zero_cases)
def kl_divergence_and_its_gradient_ignore_entries_where_p_and_q_are_zero(impl: Impl, case: Case) -> None:
    """Entries with p_i = q_i = 0 contribute 0 to D (0·log(0/0) = 0) and get the gradient dq_i = 0."""
    _matches_spec(impl, case)
    got = impl("kl_divergence_vjp", case.p, case.q, case.dy, axis=case.axis)
    want = S.kl_divergence_vjp(case.p, case.q, case.dy, axis=case.axis)
    assert_close("kl_divergence_vjp", got, want, kl_vjp_bound(case.p, case.q, case.dy, case.axis, impl.dtype),
                 impl=impl,
                 what="dq")


@prop("kl_divergence", cases=ordinary_pair_cases)
def kl_divergence_reduces_the_axis_and_keeps_dtype(impl: Impl, case: Case) -> None:
    """kl_divergence returns p's shape without the axis, in p's dtype."""
    out = impl.raw("kl_divergence", case.p, case.q, axis=case.axis)
    assert_output_dtype("kl_divergence", out, impl=impl)
    want = _out_shape(case.p, case.axis)
    if np.shape(out) != want:
        raise AssertionError(f"out.shape={np.shape(out)}, but should be {want} [kl_divergence({impl.id})]")


def _vjp_matches_spec(impl: Impl, case: Case) -> None:
    got = impl("kl_divergence_vjp", case.p, case.q, case.dy, axis=case.axis)
    want = S.kl_divergence_vjp(case.p, case.q, case.dy, axis=case.axis)
    assert_close("kl_divergence_vjp", got, want, kl_vjp_bound(case.p, case.q, case.dy, case.axis, impl.dtype),
                 impl=impl,
                 what="dq")


@prop("kl_divergence_vjp", cases=ordinary_pair_cases)
def kl_divergence_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The gradient of D(P‖Q) in q is dq_i = −dy·p_i/q_i."""
    _vjp_matches_spec(impl, case)


@prop("kl_divergence_vjp", cases=near_zero_pair_cases)
def kl_divergence_vjp_matches_spec_near_zero(impl: Impl, case: Case) -> None:
    """dq_i = −dy·p_i/q_i also for probabilities down to the dtype's subnormals, and dq_i = 0 where p_i = 0."""
    _vjp_matches_spec(impl, case)


def _check_vjp_on_simplex(impl: Impl, case: Case) -> None:
    """check_vjp_against_forward (properties/gradients.py), with the direction in q tangent to the simplex.

    The shared check steps along an arbitrary direction, which leaves Σq = 1 and makes q an input the spec
    rejects; here the step v has Σ_axis v = 0 and |v_i| <= c·q_i (relative, so small q stay positive), and
    the same tolerance: forward allowances of both evaluations + TRUNCATION·ε^{2/3}·Σ|dq·Δ|.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(case.seed)
    e, ax = eps(impl.dtype), case.axis
    out = impl("kl_divergence", case.p, case.q, axis=ax)
    dy = round_to(rng.standard_normal(np.shape(out)), impl.dtype)
    dq = impl("kl_divergence_vjp", case.p, case.q, dy, axis=ax)
    z = rng.standard_normal(case.q.shape)
    v = case.q * (z - (case.q * z).sum(axis=ax, keepdims=True) / case.q.sum(axis=ax, keepdims=True))
    h = e ** (1 / 3)
    plus, minus = round_to(case.q + h * v, impl.dtype), round_to(case.q - h * v, impl.dtype)
    f_plus = impl("kl_divergence", case.p, plus, axis=ax)
    f_minus = impl("kl_divergence", case.p, minus, axis=ax)
    lhs = float(np.sum(dq * (plus - minus)))
    magnitude = float(np.sum(np.abs(dq) * np.abs(plus - minus)))
    rhs = float(np.sum(dy * (f_plus - f_minus)))
    rounding = float(np.sum(np.abs(dy) * (_allowed(kl_bound(case.p, plus, ax, impl.dtype), impl.dtype)
                                          + _allowed(kl_bound(case.p, minus, ax, impl.dtype), impl.dtype))))
    allowed = rounding + TRUNCATION * e ** (2 / 3) * magnitude
    impl.stats.record("kl_divergence_vjp~fd", abs(lhs - rhs) / (e * max(magnitude, 1e-300)),
                      abs(lhs - rhs) / max(allowed, 1e-300))
    if not abs(lhs - rhs) <= allowed:
        raise AssertionError(
            f"⟨kl_divergence_vjp(dy), Δq⟩={lhs!r}, but the central difference of kl_divergence gives {rhs!r} "
            f"± {allowed:.3g} [kl_divergence_vjp({impl.id})]: the backward disagrees with its own forward"
        )


@prop("kl_divergence", "kl_divergence_vjp", cases=smooth_vjp_cases, dtypes=("float32", "float64"))
def kl_divergence_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's gradient in q agrees with central differences of its own kl_divergence (along Σq = 1)."""
    _check_vjp_on_simplex(impl, case)


# ---------------------------------------------------------------------------------------------------------
# Properties: the KL loss in PyTorch's calling convention (log q, p or log p, a reduction)
# ---------------------------------------------------------------------------------------------------------


def _loss(impl: Impl, case: Case, reduction: str) -> np.ndarray:
    return impl("kl_div_loss", case.log_q, case.target, reduction=reduction, log_target=case.log_target)


@prop("kl_div_loss", cases=kl_div_loss_cases)
def kl_div_loss_matches_spec(impl: Impl, case: Case) -> None:
    """kl_div_loss reduces ℓ_i = p_i(log p_i − log q_i) (0 where p_i = 0) as asked: 'none', 'sum', 'batchmean'
    (Σℓ / batch size: the KL divergence) or 'mean' (Σℓ / number of elements), with the target given as p or log p."""
    got = _loss(impl, case, case.reduction)
    want = S.kl_div_loss(case.log_q, case.target, reduction=case.reduction, log_target=case.log_target)
    assert_close("kl_div_loss", got, want,
                 kl_div_loss_bound(case.log_q, case.target, case.reduction, case.log_target, impl.dtype), impl=impl,
                 what=f"kl_div_loss({case.reduction!r}, log_target={case.log_target})")


@prop("kl_div_loss", cases=kl_div_loss_cases)
def kl_div_loss_reductions_agree(impl: Impl, case: Case) -> None:
    """Σ kl_div_loss('none') = kl_div_loss('sum') = N·kl_div_loss('batchmean') = numel·kl_div_loss('mean')."""
    args = (case.log_q, case.target)
    none = _loss(impl, case, "none")
    elementwise = kl_div_loss_bound(*args, "none", case.log_target, impl.dtype)
    total = none.sum()
    for reduction, factor in (("sum", 1), ("batchmean", case.target.shape[0]), ("mean", case.target.size)):
        got = _loss(impl, case, reduction) * factor
        bound = _sum_of([Bound(scale=np.sum(elementwise.scale), budget=1.0),
                         Bound(scale=np.asarray(kl_div_loss_bound(*args, reduction, case.log_target, impl.dtype)
                                                .scale) * factor, budget=1.0)],
                        impl.dtype, (case.target.size + factor) * tiny(impl.dtype), "both allowances")
        assert_close("kl_div_loss", got, total, bound, impl=impl, what=f"{factor}·kl_div_loss({reduction!r})")


# ---------------------------------------------------------------------------------------------------------
# Properties: Gaussian KL and the VAE latent loss
# ---------------------------------------------------------------------------------------------------------


@prop("gaussian_kl", cases=gaussian_cases)
def gaussian_kl_matches_spec(impl: Impl, case: Case) -> None:
    """gaussian_kl equals log(σ2/σ1) + (σ1² + (μ1 − μ2)²)/(2σ2²) − ½ elementwise."""
    args = (case.mu1, case.sigma1, case.mu2, case.sigma2)
    assert_close("gaussian_kl", impl("gaussian_kl", *args), S.gaussian_kl(*args), gaussian_kl_bound(*args),
                 impl=impl)


@prop("gaussian_kl", cases=gaussian_cases)
def gaussian_kl_is_zero_and_minimal_at_equal_parameters(impl: Impl, case: Case) -> None:
    """D(N(μ2, σ2²)‖N(μ2, σ2²)) = 0, and D(N(μ1, σ1²)‖N(μ2, σ2²)) is no smaller."""
    at_min = impl("gaussian_kl", case.mu2, case.sigma2, case.mu2, case.sigma2)
    b_min = gaussian_kl_bound(case.mu2, case.sigma2, case.mu2, case.sigma2)
    assert_close("gaussian_kl", at_min, np.zeros_like(at_min), b_min, impl=impl, what="D at (μ2, σ2)")
    got = impl("gaussian_kl", case.mu1, case.sigma1, case.mu2, case.sigma2)
    bound = _sum_of([gaussian_kl_bound(case.mu1, case.sigma1, case.mu2, case.sigma2), b_min], impl.dtype,
                    what="both allowances")
    assert_close("gaussian_kl", np.maximum(got, at_min), got, bound, impl=impl, what="max(D, D at (μ2, σ2)) vs D")


def _power_of_two_scales(dtype: str, *arrays: np.ndarray) -> list[int]:
    """The exponents j of the largest and the smallest 2^j that keep every nonzero |value| of `arrays` inside
    the dtype's normal range (a power of two scales exactly), so the scaled case reaches both ends of the range."""
    values = np.abs(np.concatenate([np.ravel(a) for a in arrays]))
    values = values[values > 0]
    j_max = int(np.floor(np.log2(max_value(dtype) / 4) - np.log2(values.max())))
    j_min = int(np.ceil(np.log2(tiny(dtype)) - np.log2(values.min())))
    return sorted({j_min, j_max}) if j_min <= j_max else []


@prop("gaussian_kl", cases=gaussian_cases)
def gaussian_kl_is_invariant_to_scaling_both_gaussians(impl: Impl, case: Case) -> None:
    """D(N(aμ1, a²σ1²)‖N(aμ2, a²σ2²)) = D(N(μ1, σ1²)‖N(μ2, σ2²)) for a > 0 (KL is invariant under a change of
    variable x → a·x); checked with a = 2^j at both ends of the dtype's range, where σ² over- or underflows."""
    args = (case.mu1, case.sigma1, case.mu2, case.sigma2)
    got = impl("gaussian_kl", *args)
    for j in _power_of_two_scales(impl.dtype, *args):
        scaled_args = tuple(np.ldexp(x, j) for x in args)  # exact: a power of two, inside the normal range
        scaled = impl("gaussian_kl", *scaled_args)
        bound = _sum_of([gaussian_kl_bound(*args), gaussian_kl_bound(*scaled_args)], impl.dtype,
                        what="both allowances")
        assert_close("gaussian_kl", scaled, got, bound, impl=impl, what=f"D at a = 2^{j}")


@prop("gaussian_kl", cases=vae_cases)
def gaussian_kl_to_standard_normal_sums_to_vae_latent_loss(impl: Impl, case: Case) -> None:
    """Σ_axis gaussian_kl(μ, σ, 0, 1) = vae_latent_loss(μ, σ) (the backend's own where it has both)."""
    zeros, ones = np.zeros_like(case.mu), np.ones_like(case.sigma)
    total = impl("gaussian_kl", case.mu, case.sigma, zeros, ones).sum(axis=case.axis)
    if "vae_latent_loss" in impl.backend.ops:
        want = impl("vae_latent_loss", case.mu, case.sigma, axis=case.axis)
    else:
        want = S.vae_latent_loss(case.mu, case.sigma, axis=case.axis)
    n = case.mu.shape[case.axis]
    per = gaussian_kl_bound(case.mu, case.sigma, zeros, ones)
    # the float64 sum of the backend's n elementwise values is exact to ε64, below every allowance here
    summed = Bound(scale=(np.asarray(per.scale) * per.budget).sum(axis=case.axis), budget=1.0)
    bound = _sum_of([summed, vae_bound(case.mu, case.sigma, case.axis)], impl.dtype,
                    n * tiny(impl.dtype), "Σ elementwise allowances + the VAE loss's")
    assert_close("gaussian_kl", total, want, bound, impl=impl, what="Σ gaussian_kl(μ, σ, 0, 1)")


@prop("vae_latent_loss", cases=vae_cases)
def vae_latent_loss_matches_spec(impl: Impl, case: Case) -> None:
    """vae_latent_loss equals ½ Σ_axis (μ² + σ² − log σ² − 1)."""
    got = impl("vae_latent_loss", case.mu, case.sigma, axis=case.axis)
    want = S.vae_latent_loss(case.mu, case.sigma, axis=case.axis)
    assert_close("vae_latent_loss", got, want, vae_bound(case.mu, case.sigma, case.axis), impl=impl)


@prop("vae_latent_loss", cases=vae_cases)
def vae_latent_loss_is_zero_and_minimal_at_standard_normal(impl: Impl, case: Case) -> None:
    """The VAE latent loss is 0 at μ = 0, σ = 1, and no smaller anywhere else."""
    zeros, ones = np.zeros_like(case.mu), np.ones_like(case.sigma)
    at_min = impl("vae_latent_loss", zeros, ones, axis=case.axis)
    b_min = vae_bound(zeros, ones, case.axis)
    assert_close("vae_latent_loss", at_min, np.zeros_like(at_min), b_min, impl=impl, what="loss at (0, 1)")
    got = impl("vae_latent_loss", case.mu, case.sigma, axis=case.axis)
    bound = _sum_of([vae_bound(case.mu, case.sigma, case.axis), b_min], impl.dtype, what="both allowances")
    assert_close("vae_latent_loss", np.maximum(got, at_min), got, bound, impl=impl, what="max(L, L(0, 1)) vs L")
