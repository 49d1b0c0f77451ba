"""Properties of batch normalization: differential (backend vs spec), metamorphic, running statistics, gradients.

Reach (CI profile, 100 examples a property; shares measured on the drawn cases of train/vjp/scaled properties in
float32 and float16, from 100 derandomized draws of `train_cases`, `vjp_cases` and `scaled_cases`):

| region | how it is drawn | share of examples |
|---|---|---|
| m = 2 … 64 values a channel, (N, C), NCHW, NHWC as axis −1 and 3 | `BUCKETS` | 87–98 % |
| long reduced axis m = 1025, 4095 (65 × 63 channels-last) | `LONG_BUCKETS`, `rare_buckets` | 2–13 % |
| m = 1 (one value per channel) | `ONE_VALUE_BUCKETS`, own property | that property |
| data 10^k·N(0, 1) + offsets ±1000·10^k; k in [−6, 6] f32, [−8, 8] f64, [−4, 4] bf16, [−1, 1] f16 | `EXPONENTS` | all |
| one constant channel (σ²_B = 0), ties, ±tiny, −0 | drawn | ½; ⅕ each |
| outliers 1e15 (float32, bfloat16), 1e100 (float64) | `HUGE` | ≈ 15 % (not float16) |
| max|x| ≥ 1 % of the dtype's largest value | float16 offsets | 21–26 % float16, 0 float32 |
| x·2^k, ε·4^k up to what the accumulation holds (float16: to 65504) | `scaled_cases` | ⅓ top, ⅓ bottom |
| ε = 1e-5, 1e-3, 0.1, 1e-12, 1e-6 (1e-12 unrounded in float16) | `EPS_VALUES` | 5–38 % each |
| decay = 0, 0.5, 0.9, 0.99, 1, 0.999, 0.9999 | `DECAYS` | running-statistics properties |

Not reached: squares of deviations beyond the accumulation dtype's range (float32 data above ~1e18/√m), and the
2^24-element class (see `LONG_BUCKETS`).
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from ..dtypes import eps as machine_eps
from ..dtypes import round_to, tiny
from ..spec import batch_norm as S
from ._normalisation import Groups, draw_scale_exponent
from .assertions import assert_close, assert_equal, assert_output_dtype
from .gradients import check_vjp_against_forward
from .harness import Case, Impl, prop
from .strategies import float_arrays, integers, rare_buckets, sampled_from, seeds, shapes
from .tolerance import LIBM, Bound

# ---------------------------------------------------------------------------------------------------------
# Error models (see properties/tolerance.py for the method). u is the dtype's epsilon; all budgets below are
# ABSOLUTE errors in units of u (Bound scale 1), per element, computed from the float64 inputs.
#
# Per channel, m values, μ = mean, v = biased variance, σ = √(v + ε_bn), x̂ = (x − μ)/σ, M = max|x|.
#   x̂_i:       the model shared with the norms family (properties/_normalisation.py, a channel being the group):
#              δ = u_a(m + 1)M + uM the mean's error (u_a: the accumulation precision, float32 for 16-bit
#              dtypes: float16 accumulation is rejected), var_err = u_a(m+3)(v + Mσ) + 2uv + δ² (+ tiny if
#              flushed) covering two-pass and Welford but not the one-pass E[x²] − E[x]² (κ² = mean x²/v times
#              more: rejected as soon as |μ| ≫ σ), B = var_err/(2uσ²) + LIBM + 2.5 the relative error of 1/σ,
#              E_i = [δ + u(|x_i| + M)]/(uσ) + |x̂_i|(B + 1.5) + 1. The + 1 (x̂ is O(1), one rounding of it) is
#              also the floor ε·Σ|dy| of dγ below: a constant channel at the smallest normal may give dγ ≈ 5e-36
#              instead of 0 (TF, Keras), as the norms family always allowed. No cap for constant channels of
#              large values: the folded affine is accepted (see that module).
#   train y:   y_i = γx̂_i + β: |γ|E_i + 3|γx̂_i| + 2|β| (the product, the sum, the output rounding), as in the
#              norms family. The fused form x·(γ/σ) + (β − μγ/σ) errs by u|γ|(|x_i| + |μ|)/σ + u|β|: inside.
#   vjp:       dβ = Σ dy: m·Σ|dy|.  dγ = Σ dy x̂: Σ|dy|E + (m + 1)Σ|dy x̂|.
#              dx_i = (γ/σ)(dy_i − mean dy − x̂_i·P), P = mean(dy x̂), Q = mean(|dy|E), D = mean|dy x̂|:
#              mean dy errs by m·mean|dy|, P by Q + (m + 1)D, x̂_i·P by E_i|P| + |x̂_i|(Q + (m + 1)D), the two
#              subtractions and the product by 3T_i (T_i = |dy_i| + mean|dy| + |x̂_i|D), γ/σ by B·T_i:
#              |γ|/σ·[(B + 3)T_i + m·mean|dy| + E_i|P| + |x̂_i|(Q + (m + 1)D)]. The (x − μ)·Σdy(x − μ)/(mσ²)
#              form (torch's) has the same terms. Reverse mode through the forward graph (Flax, tf.nn, Keras)
#              differentiates 1/σ into −½σ⁻³ = (1/σ)³, three times 1/σ's relative error B, on the variance's
#              path to x_i and to μ (zero in exact arithmetic, not in rounding): + 2B(|x̂_i| + 1)D.
#   running:   decay·r + (1 − decay)·obs, each product and the sum rounded, decay and 1 − decay rounded to the
#              working precision: 2·decay|r| + (1 − decay)(|obs| + |δobs|) + |new|, with δobs the mean's or
#              the unbiased variance's error above (times m/(m − 1), plus its own rounding); δ for the mean.
#   inference: scale = γ/√(Var + ε_bn) to LIBM + 2, then x·scale + (β − E·scale) or γ(x − E)/σ + β:
#              |γ|(|x_i| + |E|)/σ·(LIBM + 4) + 2|β| + |y_i|.
# ---------------------------------------------------------------------------------------------------------


def _per_channel(v: np.ndarray, ndim: int, ax: int) -> np.ndarray:
    shape = [1] * ndim
    shape[ax] = -1
    return np.asarray(v, dtype=np.float64).reshape(shape)


def _reduced(ndim: int, ax: int) -> tuple[int, ...]:
    return tuple(d for d in range(ndim) if d != ax)


def channel_terms(x: np.ndarray, axis: int, eps: float, dtype: str) -> SimpleNamespace:
    """The per-channel quantities of the error model, broadcast against x: the x̂ model shared with the norms
    family (properties/_normalisation.py), a channel being the group."""
    ax = axis % x.ndim
    red = _reduced(x.ndim, ax)
    gr = Groups(x, red, eps, dtype)
    return SimpleNamespace(u=gr.e, ax=ax, red=red, m=gr.n, mu=gr.mu, v=gr.var, sigma=gr.s, mean_abs=gr.mean_abs,
                           x_hat=gr.x_hat, var_err=gr.var_error(), mean_err=gr.mean_error() / gr.e,
                           B=gr.rho() + LIBM + 2.5, E=gr.budget())


def train_bound(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, axis: int, dtype: str) -> Bound:
    t = channel_terms(x, axis, eps, dtype)
    g, b = _per_channel(gamma, x.ndim, t.ax), _per_channel(beta, x.ndim, t.ax)
    budget = np.abs(g) * t.E + 3 * np.abs(g * t.x_hat) + 2 * np.abs(b)
    return absolute(budget, "u(|γ|E_i + 3|γx̂_i| + 2|β|), E_i the x̂ budget of properties/_normalisation.py")


def vjp_bounds(x: np.ndarray, gamma: np.ndarray, dy: np.ndarray, eps: float, axis: int, dtype: str
               ) -> tuple[Bound, Bound, Bound]:
    t = channel_terms(x, axis, eps, dtype)
    g = _per_channel(gamma, x.ndim, t.ax)
    red, m = t.red, t.m
    mean_dy = np.abs(dy).mean(axis=red, keepdims=True)
    P = (dy * t.x_hat).mean(axis=red, keepdims=True)
    Q = (np.abs(dy) * t.E).mean(axis=red, keepdims=True)
    D = np.abs(dy * t.x_hat).mean(axis=red, keepdims=True)
    T = np.abs(dy) + mean_dy + np.abs(t.x_hat) * D
    dx = np.abs(g) / t.sigma * ((t.B + 3) * T + m * mean_dy + t.E * np.abs(P) + np.abs(t.x_hat) * (Q + (m + 1) * D)
                               + 2 * t.B * (np.abs(t.x_hat) + 1) * D)
    dgamma = m * (Q + (m + 1) * D)
    dbeta = m * m * mean_dy
    return (absolute(dx, "u|γ|/σ[(B+3)T_i + m·mean|dy| + E_i|P| + |x̂_i|(Q + (m+1)D) + 2B(|x̂_i|+1)D]"),
            absolute(dgamma.reshape(-1), "u(Σ|dy|E + (m+1)Σ|dy x̂|)"),
            absolute(dbeta.reshape(-1), "u·m·Σ|dy|"))


def running_stats_bounds(x: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray, decay: float,
                         axis: int, dtype: str) -> tuple[Bound, Bound]:
    t = channel_terms(x, axis, 1.0, dtype)
    m = t.m
    new_mean, new_var = S.batch_norm_running_stats(x, running_mean, running_var, decay=decay, axis=axis)
    mu, v, mean_err, var_err = (a.reshape(-1) for a in (t.mu, t.v, t.mean_err, t.var_err))
    unbiased = m / (m - 1)
    mean_budget = 2 * decay * np.abs(running_mean) + (1 - decay) * (np.abs(mu) + mean_err) + np.abs(new_mean)
    var_budget = (2 * decay * np.abs(running_var) + (1 - decay) * unbiased * (var_err + 2 * v) + np.abs(new_var))
    return (absolute(mean_budget, "u(2·decay|r| + (1−decay)(|μ| + δ/u) + |new|), δ the mean's error"),
            absolute(var_budget, "u(2·decay|r| + (1−decay)·m/(m−1)(|δv| + 2v) + |new|)"))


def inference_bound(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray,
                    eps: float, axis: int) -> Bound:
    ax = axis % x.ndim
    g, b, e, v = (_per_channel(a, x.ndim, ax) for a in (gamma, beta, mean, var))
    y = S.batch_norm_inference(x, gamma, beta, mean, var, eps=eps, axis=axis)
    budget = np.abs(g) * (np.abs(x) + np.abs(e)) / np.sqrt(v + eps) * (LIBM + 4) + 2 * np.abs(b) + np.abs(y)
    return absolute(budget, "u(|γ|(|x_i| + |E|)/σ·(LIBM + 4) + 2|β| + |y_i|)")


def absolute(allowance: np.ndarray, derivation: str) -> Bound:
    """An absolute error allowance, in units of u, as a Bound: |got − want| <= u·allowance + tiny.

    Written as scale = allowance, budget = 1, so that a zero allowance (γ = 0, β = 0: y = 0 exactly) still
    compares (0 error within `tiny`), and the report's err_eps reads as the fraction of the allowance used."""
    return Bound(scale=np.asarray(allowance, dtype=np.float64), budget=1.0, derivation=f"absolute: {derivation}")


def _units(bound: Bound) -> np.ndarray:
    return np.abs(np.asarray(bound.scale)) * np.asarray(bound.budget)


def _both(b1: Bound, b2: Bound, what: str) -> Bound:
    return absolute(_units(b1) + _units(b2), what)


def _allowed(bound: Bound, dtype: str) -> np.ndarray:
    return machine_eps(dtype) * _units(bound) + tiny(dtype)


def _plus(bound: Bound, extra: np.ndarray, dtype: str, why: str) -> Bound:
    """`bound` widened by an absolute `extra` that a known perturbation of the inputs explains (not by fiat)."""
    return absolute(_units(bound) + np.abs(extra) / machine_eps(dtype), f"{bound.derivation} + {why}")


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

BUCKETS = [((2, 3), 1), ((1, 3, 2, 2), 1), ((1, 2, 2, 3), -1), ((8, 4), 1), ((2, 2, 3, 3), 1), ((2, 3, 3, 4), 3),
           ((32, 3), 1), ((4, 3, 4, 4), 1)]
"""(shape, channel axis), smallest first: N = 2 with m = 2 (where m/(m−1) = 2 bites), N = 1 with m = H·W = 4,
channels-last as axis −1 and as axis 3, up to m = 64. Every bucket has m >= 2 values per channel."""

LONG_BUCKETS = [((1025, 2), 1), ((1, 65, 63, 2), -1)]
"""Rare long reduced axes (about one example in nine, see `rare_buckets`): m = 1025 (just past 2^10, a block size
of the reduction kernels) and m = 4095 channels-last (just below 2^12, odd spatial sizes 65 × 63). Two shapes
only, shared by every property, because JAX compiles per shape. The 2^24-element class (float32 counts stop being
exact) is not audited: 64 MiB a tensor per example, and at m = 2^24 the model's float32 allowance for the mean,
u·(m + 1)·max|x|, is already of the order of the data — a 1/m rounded to float32 (relative error u) is far inside
it, so such an example could not fail; it needs a pairwise-summation model (u·log₂ m), not a bigger array."""

ONE_VALUE_BUCKETS = [((1, 3), 1), ((1, 2, 1, 1), 1), ((1, 1, 1, 3), -1)]
"""Batches of one value per channel (m = 1): (1, C), (1, C, 1, 1) and channels-last (1, 1, 1, C)."""

EXPONENTS = {"float16": (-1, 1), "bfloat16": (-4, 4), "float32": (-6, 6), "float64": (-8, 8)}
"""Magnitudes 10^k of the data. float16 keeps (x − μ)² and Σ(x − μ)² inside its range (max 65504) and the
variance above its smallest normal; the others stay far from overflow of a sum of squares."""

HUGE = {"float16": None, "bfloat16": 1e15, "float32": 1e15, "float64": 1e100}
"""Outliers whose squares (times m) stay finite in the dtype: a variance that overflows is not the point here.
float16 has none: next to its offsets (up to 10^4) any outlier makes σ²_B exceed its range (65504)."""

EPS_VALUES = (1e-5, 1e-3, 0.1, 1e-12, 1e-6)
"""ε_bn from the field: the frameworks' defaults (1e-5 torch/flax, 1e-3 Keras/TF), a large one, BERT's 1e-12 and
1e-6; rounded to the dtype where the dtype can hold it — 1e-12 is below float16's smallest subnormal (6e-8) and is
then passed as it is (the frameworks take ε as a Python float and add it in their float32 accumulation)."""

DECAYS = (0.0, 0.5, 0.9, 0.99, 1.0, 0.999, 0.9999)
"""The old state's weight: the ends (replace, keep), and the field's 0.9, 0.99, 0.999 and 0.9999 (Keras' 0.99,
torch's momentum 0.1 = decay 0.9, slow averages in large-batch and EMA training)."""

SPECIALS = ("none", "ties", "huge", "tiny", "signed_zero")


def _draw_eps(draw: st.DrawFn, dtype: str) -> float:
    value = draw(sampled_from(EPS_VALUES), label="eps")
    rounded = float(round_to(value, dtype))
    return rounded if rounded > 0 else value


def _draw_x(draw: st.DrawFn, shape: tuple[int, ...], axis: int, dtype: str) -> np.ndarray:
    """Data with a drawn offset (large |μ| relative to σ) and, if drawn, one constant channel (σ²_B = 0)."""
    specials = SPECIALS if HUGE[dtype] else tuple(k for k in SPECIALS if k != "huge")
    x = draw(float_arrays(shape, dtype, exponents=EXPONENTS[dtype], offset=True, huge=HUGE[dtype],
                          specials=specials), label="x")
    if draw(st.booleans(), label="constant_channel"):
        c = draw(integers(0, shape[axis] - 1), label="channel")
        index = [slice(None)] * x.ndim
        index[axis % x.ndim] = c
        x[tuple(index)] = x[tuple(index)].reshape(-1)[0]
    return x


def _draw_affine(draw: st.DrawFn, channels: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    gamma = draw(float_arrays((channels,), dtype, exponents=(-1, 1), specials=("none", "signed_zero")), label="gamma")
    beta = draw(float_arrays((channels,), dtype, exponents=(-1, 1), offset=True, specials=()), label="beta")
    return gamma, beta


def _train_case(draw: st.DrawFn, dtype: str, buckets: list, *, long: bool = True) -> Case:
    shape, axis = draw(rare_buckets(buckets, LONG_BUCKETS) if long else shapes(buckets), label="shape")
    x = _draw_x(draw, shape, axis, dtype)
    gamma, beta = _draw_affine(draw, shape[axis], dtype)
    return Case(x=x, gamma=gamma, beta=beta, eps=_draw_eps(draw, dtype), axis=axis)


@lru_cache
def train_cases(dtype: str) -> st.SearchStrategy[Case]:
    return st.composite(lambda draw: _train_case(draw, dtype, BUCKETS))()


@lru_cache
def one_value_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = _train_case(draw, dtype, ONE_VALUE_BUCKETS, long=False)
        dy = draw(float_arrays(case.x.shape, dtype, exponents=(0, 0), specials=()), label="dy")
        return Case(**case.fields(), dy=dy)

    return build()


@lru_cache
def vjp_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = _train_case(draw, dtype, BUCKETS)
        # dy of order 1: the backward's terms (γ/σ)·dy must stay inside float16's range (65504) to be compared
        dy = draw(float_arrays(case.x.shape, dtype, exponents=(0, 0), specials=()), label="dy")
        return Case(**case.fields(), dy=dy)

    return build()


@lru_cache
def smooth_cases(dtype: str) -> st.SearchStrategy[Case]:
    """For central differences: every channel standardised (σ_B = 1) and shifted by O(1), so the step
    ε^{1/3}·max|x| stays small against each channel's spread (see properties/gradients.py)."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, axis = draw(rare_buckets(BUCKETS, LONG_BUCKETS), label="shape")
        ax = axis % len(shape)
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        z = rng.standard_normal(shape)
        red = _reduced(len(shape), ax)
        z = (z - z.mean(axis=red, keepdims=True)) / z.std(axis=red, keepdims=True)
        x = round_to(z + _per_channel(rng.standard_normal(shape[ax]), len(shape), ax), dtype)
        gamma, beta = _draw_affine(draw, shape[ax], dtype)
        return Case(x=x, gamma=gamma, beta=beta, eps=_draw_eps(draw, dtype), axis=axis,
                    seed=draw(seeds(), label="direction"))

    return build()


@lru_cache
def running_stats_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, axis = draw(rare_buckets(BUCKETS, LONG_BUCKETS), label="shape")
        x = _draw_x(draw, shape, axis, dtype)
        c = shape[axis]
        running_mean = draw(float_arrays((c,), dtype, exponents=EXPONENTS[dtype], offset=True, specials=()),
                            label="running_mean")
        running_var = draw(float_arrays((c,), dtype, exponents=EXPONENTS[dtype], positive=True,
                                        specials=("none", "signed_zero")), label="running_var")
        running_var = round_to(running_var**2, dtype)  # a variance: the square of a spread, >= 0
        decay = draw(sampled_from(DECAYS), label="decay")
        return Case(x=x, running_mean=running_mean, running_var=running_var, decay=decay, axis=axis)

    return build()


@lru_cache
def inference_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = _train_case(draw, dtype, ONE_VALUE_BUCKETS[:1] + BUCKETS)
        c = case.gamma.size
        mean = draw(float_arrays((c,), dtype, exponents=EXPONENTS[dtype], offset=True, specials=()), label="mean")
        spread = draw(float_arrays((c,), dtype, exponents=EXPONENTS[dtype], positive=True,
                                   specials=("none", "signed_zero")), label="spread")
        return Case(**case.fields(), mean=mean, var=round_to(spread**2, dtype))

    return build()


@lru_cache
def scaled_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Training cases with x scaled by a = 2^k and ε by a² (both exact), k from the reach of
    `scale_exponent_range` (properties/_normalisation.py): up to float16's largest value."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(train_cases(dtype))
        m = case.x.size // case.x.shape[case.axis]
        a = 2.0 ** draw_scale_exponent(draw, case.x, case.eps, m, dtype)
        return Case(**case.fields(), scaled=case.x * a, scaled_eps=case.eps * a * a)

    return build()


@lru_cache
def shifted_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(train_cases(dtype))
        ax = case.axis % case.x.ndim
        shift = draw(float_arrays((case.x.shape[ax],), dtype, exponents=EXPONENTS[dtype], offset=True,
                                  specials=()), label="shift")
        shifted = round_to(case.x + _per_channel(shift, case.x.ndim, ax), dtype)
        limit = np.finfo(np.float64).max
        shifted = np.clip(shifted, -limit, limit)
        return Case(**case.fields(), shift=shift, shifted=shifted)

    return build()


# ---------------------------------------------------------------------------------------------------------
# Properties: the training transform
# ---------------------------------------------------------------------------------------------------------


@prop("batch_norm_train", cases=train_cases)
def batch_norm_train_matches_spec(impl: Impl, case: Case) -> None:
    """Training batch norm is y = γ(x − μ_B)/√(σ²_B + ε) + β with the batch's mean and biased variance per channel."""
    got = impl("batch_norm_train", case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis)
    want = S.batch_norm_train(case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis)
    assert_close("batch_norm_train", got, want, train_bound(case.x, case.gamma, case.beta, case.eps, case.axis,
                                                            impl.dtype), impl=impl, what="y")


@prop("batch_norm_train", "batch_norm_train_vjp", cases=one_value_cases)
def batch_norm_train_of_one_value_per_channel_is_beta(impl: Impl, case: Case) -> None:
    """With one value per channel (m = 1), σ²_B = 0 and x̂ = 0: y = β, dx = 0, dγ = 0 and dβ = dy."""
    got = impl("batch_norm_train", case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis)
    want = S.batch_norm_train(case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis)
    assert_close("batch_norm_train", got, want, train_bound(case.x, case.gamma, case.beta, case.eps, case.axis,
                                                            impl.dtype), impl=impl, what="y")
    grads = impl("batch_norm_train_vjp", case.x, case.gamma, case.beta, case.dy, eps=case.eps, axis=case.axis)
    wants = S.batch_norm_train_vjp(case.x, case.gamma, case.beta, case.dy, eps=case.eps, axis=case.axis)
    bounds = vjp_bounds(case.x, case.gamma, case.dy, case.eps, case.axis, impl.dtype)
    for name, g, w, b in zip(("dx", "dgamma", "dbeta"), grads, wants, bounds):
        assert_close("batch_norm_train_vjp", g, w, b, impl=impl, what=name)


@prop("batch_norm_train", cases=shifted_cases)
def batch_norm_train_is_invariant_to_a_per_channel_constant(impl: Impl, case: Case) -> None:
    """Adding a constant b_c to every value of channel c leaves the training output unchanged (a bias before
    batch norm is absorbed by μ_B)."""
    y = impl("batch_norm_train", case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis)
    y_shifted = impl("batch_norm_train", case.shifted, case.gamma, case.beta, eps=case.eps, axis=case.axis)
    # Both outputs carry their own error; rounding x + b to the dtype moved the input, and the spec tells
    # exactly how much that moved the output (zero in exact arithmetic).
    b1 = train_bound(case.x, case.gamma, case.beta, case.eps, case.axis, impl.dtype)
    b2 = train_bound(case.shifted, case.gamma, case.beta, case.eps, case.axis, impl.dtype)
    moved = (S.batch_norm_train(case.shifted, case.gamma, case.beta, eps=case.eps, axis=case.axis)
             - S.batch_norm_train(case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis))
    bound = _plus(_both(b1, b2, "two train budgets"), moved,
                  impl.dtype, "the effect of rounding x + b (spec)")
    assert_close("batch_norm_train", y_shifted, y, bound, impl=impl, what="y(x + b)")


@prop("batch_norm_train", cases=scaled_cases)
def batch_norm_train_is_invariant_to_scaling_x_by_a_and_eps_by_a_squared(impl: Impl, case: Case) -> None:
    """batch_norm_train(a·x, γ, β, ε = a²ε) = batch_norm_train(x, γ, β, ε) for a > 0 (x̂ is scale invariant)."""
    y = impl("batch_norm_train", case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis)
    y2 = impl("batch_norm_train", case.scaled, case.gamma, case.beta, eps=case.scaled_eps, axis=case.axis)
    b1 = train_bound(case.x, case.gamma, case.beta, case.eps, case.axis, impl.dtype)
    b2 = train_bound(case.scaled, case.gamma, case.beta, case.scaled_eps, case.axis, impl.dtype)
    assert_close("batch_norm_train", y2, y, _both(b1, b2, "two train budgets"), impl=impl, what="y(a·x, ε = a²ε)")


@prop("batch_norm_train", cases=train_cases)
def batch_norm_with_gamma_sigma_and_beta_mu_is_the_identity(impl: Impl, case: Case) -> None:
    """With γ = √(σ²_B + ε) and β = μ_B, training batch norm returns its input: y = x."""
    mean, var = S.batch_statistics(case.x, axis=case.axis)
    gamma = round_to(np.sqrt(var + case.eps), impl.dtype)
    beta = round_to(mean, impl.dtype)
    y = impl("batch_norm_train", case.x, gamma, beta, eps=case.eps, axis=case.axis)
    moved = S.batch_norm_train(case.x, gamma, beta, eps=case.eps, axis=case.axis) - case.x
    bound = _plus(train_bound(case.x, gamma, beta, case.eps, case.axis, impl.dtype), moved, impl.dtype,
                  "the effect of rounding γ and β (spec)")
    assert_close("batch_norm_train", y, case.x, bound, impl=impl, what="y")


# ---------------------------------------------------------------------------------------------------------
# Properties: gradients
# ---------------------------------------------------------------------------------------------------------


@prop("batch_norm_train_vjp", cases=vjp_cases)
def batch_norm_train_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The training backward is dβ = Σdy, dγ = Σdy·x̂, dx = (γ/σ)(dy − mean(dy) − x̂·mean(dy·x̂))."""
    grads = impl("batch_norm_train_vjp", case.x, case.gamma, case.beta, case.dy, eps=case.eps, axis=case.axis)
    wants = S.batch_norm_train_vjp(case.x, case.gamma, case.beta, case.dy, eps=case.eps, axis=case.axis)
    bounds = vjp_bounds(case.x, case.gamma, case.dy, case.eps, case.axis, impl.dtype)
    for name, g, w, b in zip(("dx", "dgamma", "dbeta"), grads, wants, bounds):
        assert_close("batch_norm_train_vjp", g, w, b, impl=impl, what=name)


@prop("batch_norm_train", "batch_norm_train_vjp", cases=smooth_cases, dtypes=("float32", "float64"))
def batch_norm_train_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's training backward agrees with central differences of its own training forward."""
    check_vjp_against_forward(
        impl, "batch_norm_train", "batch_norm_train_vjp", [case.x, case.gamma, case.beta], [0, 1, 2],
        kwargs={"eps": case.eps, "axis": case.axis}, seed=case.seed,
        forward_allowed=lambda args, out: _allowed(train_bound(*args, case.eps, case.axis, impl.dtype), impl.dtype),
    )


# ---------------------------------------------------------------------------------------------------------
# Properties: running statistics
# ---------------------------------------------------------------------------------------------------------


def _check_running_stats(impl: Impl, case: Case) -> None:
    __tracebackhide__ = True
    got = impl("batch_norm_running_stats", case.x, case.running_mean, case.running_var, decay=case.decay,
               axis=case.axis)
    want = S.batch_norm_running_stats(case.x, case.running_mean, case.running_var, decay=case.decay, axis=case.axis)
    bounds = running_stats_bounds(case.x, case.running_mean, case.running_var, case.decay, case.axis, impl.dtype)
    for name, g, w, b in zip(("new_mean", "new_var"), got, want, bounds):
        assert_close("batch_norm_running_stats", g, w, b, impl=impl, what=name)


@prop("batch_norm_running_stats", cases=running_stats_cases)
def batch_norm_running_stats_match_spec(impl: Impl, case: Case) -> None:
    """The running statistics move by v_t = decay·v_{t−1} + (1 − decay)·obs, the variance's observation being
    the unbiased m/(m−1)·σ²_B."""
    _check_running_stats(impl, case)


@prop("batch_norm_running_stats", cases=running_stats_cases)
def batch_norm_running_variance_update_uses_m_over_m_minus_1(impl: Impl, case: Case) -> None:
    """decay = 0 replaces the state by exactly μ_B and the unbiased m/(m−1)·σ²_B; decay = 1 leaves it unchanged."""
    _check_running_stats(impl, Case(**{**case.fields(), "decay": 0.0}))
    new_mean, new_var = impl("batch_norm_running_stats", case.x, case.running_mean, case.running_var, decay=1.0,
                             axis=case.axis)
    assert_equal("batch_norm_running_stats", new_mean, case.running_mean, impl=impl, what="new_mean (decay = 1)")
    assert_equal("batch_norm_running_stats", new_var, case.running_var, impl=impl, what="new_var (decay = 1)")


# ---------------------------------------------------------------------------------------------------------
# Properties: inference, and its relation to training
# ---------------------------------------------------------------------------------------------------------


@prop("batch_norm_inference", cases=inference_cases)
def batch_norm_inference_matches_spec(impl: Impl, case: Case) -> None:
    """Inference batch norm is y = γ(x − E[x])/√(Var[x] + ε) + β with the given statistics."""
    got = impl("batch_norm_inference", case.x, case.gamma, case.beta, case.mean, case.var, eps=case.eps,
               axis=case.axis)
    want = S.batch_norm_inference(case.x, case.gamma, case.beta, case.mean, case.var, eps=case.eps, axis=case.axis)
    bound = inference_bound(case.x, case.gamma, case.beta, case.mean, case.var, case.eps, case.axis)
    assert_close("batch_norm_inference", got, want, bound, impl=impl, what="y")


@prop("batch_norm_inference", cases=inference_cases)
def batch_norm_inference_equals_its_fused_affine_form(impl: Impl, case: Case) -> None:
    """Inference batch norm is the affine map y = scale·x + shift, scale = γ/√(Var + ε), shift = β − γE/√(Var + ε)."""
    got = impl("batch_norm_inference", case.x, case.gamma, case.beta, case.mean, case.var, eps=case.eps,
               axis=case.axis)
    scale, shift = S.fused_affine(case.gamma, case.beta, case.mean, case.var, eps=case.eps)
    ax = case.axis % case.x.ndim
    s, t = _per_channel(scale, case.x.ndim, ax), _per_channel(shift, case.x.ndim, ax)
    want = s * case.x + t
    # The fused form in float64 carries its own rounding, ~u64(|s·x| + |E·s| + |β|) per term: at most the
    # inference budget evaluated at float64, added in absolute terms.
    own = _allowed(inference_bound(case.x, case.gamma, case.beta, case.mean, case.var, case.eps, case.axis),
                   "float64")
    bound = _plus(inference_bound(case.x, case.gamma, case.beta, case.mean, case.var, case.eps, case.axis), own,
                  impl.dtype, "the float64 rounding of scale·x + shift")
    assert_close("batch_norm_inference", got, want, bound, impl=impl, what="y")


def _batch_stats_in_dtype(case: Case, dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    mean, var = S.batch_statistics(case.x, axis=case.axis)
    m = S.batch_size(case.x, axis=case.axis)
    unbiased = round_to(m / (m - 1) * var, dtype)
    # The statistics must exist in the dtype to be passed: in float16 an outlier (an injected 0 next to an
    # offset of 10^4) gives σ²_B beyond 65504. Rare elsewhere; about one float16 example in five.
    assume(np.all(np.isfinite(unbiased)))
    return round_to(mean, dtype), round_to(var, dtype), unbiased, m


@prop("batch_norm_train", "batch_norm_inference", cases=train_cases)
def batch_norm_inference_with_the_batch_statistics_equals_training(impl: Impl, case: Case) -> None:
    """Inference with E = μ_B and Var = the biased σ²_B gives the training output."""
    mean, var, _, _ = _batch_stats_in_dtype(case, impl.dtype)
    y_train = impl("batch_norm_train", case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis)
    y_inf = impl("batch_norm_inference", case.x, case.gamma, case.beta, mean, var, eps=case.eps, axis=case.axis)
    moved = (S.batch_norm_inference(case.x, case.gamma, case.beta, mean, var, eps=case.eps, axis=case.axis)
             - S.batch_norm_train(case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis))
    b1 = train_bound(case.x, case.gamma, case.beta, case.eps, case.axis, impl.dtype)
    b2 = inference_bound(case.x, case.gamma, case.beta, mean, var, case.eps, case.axis)
    bound = _plus(_both(b1, b2, "train + inference budgets"), moved,
                  impl.dtype, "the effect of rounding μ_B and σ²_B to the dtype (spec)")
    assert_close("batch_norm_inference", y_inf, y_train, bound, impl=impl, what="y_inference")


@prop("batch_norm_train", "batch_norm_inference", cases=train_cases)
def batch_norm_inference_with_the_unbiased_variance_scales_x_hat_by_the_exact_factor(impl: Impl, case: Case) -> None:
    """Inference with E = μ_B and Var = m/(m−1)·σ²_B gives γ·f·x̂ + β, f = √((σ²_B + ε)/(m/(m−1)·σ²_B + ε))."""
    mean, _, unbiased, m = _batch_stats_in_dtype(case, impl.dtype)
    _, var = S.batch_statistics(case.x, axis=case.axis)
    f = _per_channel(np.sqrt((var + case.eps) / (m / (m - 1) * var + case.eps)), case.x.ndim, case.axis % case.x.ndim)
    y_train = impl("batch_norm_train", case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis)
    y_inf = impl("batch_norm_inference", case.x, case.gamma, case.beta, mean, unbiased, eps=case.eps, axis=case.axis)
    beta = _per_channel(case.beta, case.x.ndim, case.axis % case.x.ndim)
    want = f * (y_train - beta) + beta
    exact = f * (S.batch_norm_train(case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis) - beta) + beta
    moved = S.batch_norm_inference(case.x, case.gamma, case.beta, mean, unbiased, eps=case.eps, axis=case.axis) - exact
    b1 = train_bound(case.x, case.gamma, case.beta, case.eps, case.axis, impl.dtype)
    b2 = inference_bound(case.x, case.gamma, case.beta, mean, unbiased, case.eps, case.axis)
    # f·(y_train − β) + β in float64: the train error scaled by f <= 1; β's rounding is in b1's 2|β|.
    bound = _plus(_both(b1, b2, "train + inference budgets"), moved,
                  impl.dtype, "the effect of rounding μ_B and m/(m−1)σ²_B to the dtype (spec)")
    assert_close("batch_norm_inference", y_inf, want, bound, impl=impl, what="y_inference")


@prop("batch_norm_train", "batch_norm_inference", cases=train_cases)
def batch_norm_keeps_shape_and_dtype(impl: Impl, case: Case) -> None:
    """Training and inference batch norm return the input's shape and dtype."""
    mean, var, _, _ = _batch_stats_in_dtype(case, impl.dtype)
    outs = {
        "batch_norm_train": impl.raw("batch_norm_train", case.x, case.gamma, case.beta, eps=case.eps, axis=case.axis),
        "batch_norm_inference": impl.raw("batch_norm_inference", case.x, case.gamma, case.beta, mean, var,
                                         eps=case.eps, axis=case.axis),
    }
    for op, out in outs.items():
        assert_output_dtype(op, out, impl=impl, what="y")
        if np.shape(out) != case.x.shape:
            raise AssertionError(f"y.shape={np.shape(out)}, but should be {case.x.shape} [{op}({impl.id})]")
