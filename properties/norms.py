"""Properties of standardization, layer, instance and group normalization: differential (backend vs spec),
metamorphic (GN = IN, GN = LN, zero mean and normalised variance, invariance to an added constant, LN = affine
standardize), and gradients (vs the spec, and vs central differences of the backend's own forward).

Reach (CI profile, 100 examples a property; shares measured on 100 derandomized draws of the layer, group,
instance, standardize and scaled cases in float32 and float16):

| region | how it is drawn | share of examples |
|---|---|---|
| groups of 1 … 64 values; 2-D to 5-D; G dividing C; axes as int or tuple (standardize) | `*_SHAPES` | 78–87 % |
| long reduced axis n = 1025, 4097, 4095 (65 × 63), 527·C/G | `LONG_SHAPES`, `rare_buckets` | 12–27 % |
| groups of one element (σ² = 0, y = β) | `*_SINGLE_SHAPES`, own properties | those properties |
| data 10^k·N(0, 1) + offsets ±1000·10^k; k in [−3, 3] f16, [−4, 4] bf16, [−6, 6] f32, [−8, 8] f64 | drawn | all |
| a constant line, ties, ±tiny, −0 | injected | ⅙ each |
| outliers 600 (float16), 1e15 (bfloat16, float32), 1e100 (float64) | `HUGE` | ≈ 15 % |
| max|x| ≥ 1 % of the dtype's largest value | float16 offsets and clipping | 11–27 % float16, 0 float32 |
| x·2^k, ε·4^k up to what the accumulation holds (float16: to 65504) | `*_scaled_cases` | ⅓ top, ⅓ bottom |
| a per-group constant of 1 … 1000 spreads added | `*_shifted_cases` | the invariance properties |
| ε = 1e-5, 1e-3, 0.1, 1e-12, 1e-6 | `EPS_VALUES` | 3–49 % each |

Not reached: squares of deviations beyond the accumulation dtype's range (float32 data above ~1e18/√n), and the
2^24-element class (see properties/batch_norm.py, `LONG_BUCKETS`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hypothesis import strategies as st

from ..dtypes import eps, max_value, round_to, tiny
from ..spec import norms as S
from ._normalisation import Groups, draw_scale_exponent
from .assertions import assert_close, assert_output_dtype
from .gradients import check_vjp_against_forward
from .harness import Case, Impl, prop
from .strategies import cached, float_arrays, integers, rare_buckets, sampled_from, seeds, shapes
from .tolerance import LIBM, Bound

# ---------------------------------------------------------------------------------------------------------
# Error models (see properties/tolerance.py for the method)
#
# One group S of n elements, μ its mean, σ² its biased variance, s = √(σ² + ε_reg), x̂_i = (x_i − μ)/s,
# M = max_{k∈S} |x_k|. All bounds are absolute, in units of the dtype's ε (Bound scale 1).
#
# x̂: the model shared with batch norm, derived in properties/_normalisation.py: with δ = u_a(n + 1)M + uM the
#   mean's error (u_a: the accumulation precision, float32 for 16-bit dtypes),
#   budget_i = [δ + u(|x_i| + M)]/(u·s) + |x̂_i|(ρ + LIBM + 4) + 1,  ρ = (u_a(n+3)(σ² + Mσ) + 2uσ² + δ²)/(2u·s²).
#   No cap on a near-constant group of large values: the folded affine is accepted (see that module).
# y = γ x̂ + β: |γ|·budget_i, the product (|γx̂|), the sum and the output rounding (2|y| <= 2|γx̂| + 2|β|):
#   budget_y = |γ|·budget_i + 3|γ x̂_i| + 2|β|. The folded form x·(γ/s) + (β − μγ/s) errs by
#   ε(|γ|(|x_i| + |μ|)/s + |β|), inside |γ|·budget_i's first-order term (which is why there is no cap).
# Backward, g = γ dy, means over S: dx = (g − mean g − x̂·mean(g x̂)) / s. With G = mean|g|, P = mean|g x̂|,
#   Q = mean(|g|·budget), T_i = |g_i| + G + |x̂_i|P and ρ + LIBM + 1 (the relative error of 1/s, ρ as above):
#   mean g: εnG;  mean(g x̂): εnP and the x̂ errors εQ;  x̂_i·mean(g x̂): ε(budget_i·|mean g x̂| + |x̂_i|P);
#   g_i, two subtractions and the last product: 4εT_i;  1/s: ρεT_i.
#   budget_dx = (T_i(ρ + 4) + nG + |x̂_i|(nP + Q) + budget_i·|mean g x̂|) / s.
#   The form in raw x that several frameworks use (a = (μ Σg − Σg x)/(n s³), dx = g/s + a x + b) errs by
#   ε·n·mean(|g||x|)|x̂_i|/s² <= ε|x̂_i|Q/s and ε|a|(|x_i| + |μ|) <= ε budget_i |mean g x̂|/s: inside it.
#   dγ = Σ_m dy x̂ over m terms: ε(Σ|dy|(budget + |x̂|) + m Σ|dy x̂|);  dβ = Σ_m dy: ε·m·Σ|dy|.
# ---------------------------------------------------------------------------------------------------------


_Groups = Groups


def _groups_standardize(x: np.ndarray, axis, eps_reg: float, dtype: str) -> _Groups:
    return _Groups(x, S._axes(axis, x.ndim), eps_reg, dtype)


def _groups_layer(x: np.ndarray, eps_reg: float, dtype: str) -> _Groups:
    return _Groups(x, tuple(range(1, x.ndim)), eps_reg, dtype)


def _groups_instance(x: np.ndarray, eps_reg: float, dtype: str) -> _Groups:
    return _Groups(x, tuple(range(2, x.ndim)), eps_reg, dtype)


def _groups_group(x: np.ndarray, groups: int, eps_reg: float, dtype: str) -> _Groups:
    n, c = x.shape[:2]
    view = (n, groups, c // groups, *x.shape[2:])
    return _Groups(x, tuple(range(2, len(view))), eps_reg, dtype, view)


def _bound(absolute: np.ndarray, scale: np.ndarray, derivation: str) -> Bound:
    """An absolute allowance ε·`absolute` written as budget × natural scale, so that the dtype's `tiny` (allowed
    for every element, for results in the subnormal range) is added once, not scaled by a small budget."""
    absolute, scale = np.broadcast_arrays(np.asarray(absolute, float), np.asarray(scale, float))
    positive = scale > 0  # a zero scale (γ = β = 0, dy = 0) means an exact zero: only the tiny is allowed
    budget = np.where(positive, np.maximum(absolute / np.where(positive, scale, 1.0), 1.0), 1.0)
    return Bound(scale=scale, budget=budget, derivation=derivation)


def _absolute(bound: Bound) -> np.ndarray:
    """A bound's allowance in units of ε (without the tiny)."""
    return np.abs(np.asarray(bound.scale)) * np.asarray(bound.budget)


def standardize_bound(x: np.ndarray, axis, eps_reg: float, dtype: str) -> Bound:
    gr = _groups_standardize(x, axis, eps_reg, dtype)
    return _bound(gr.back(gr.budget()), 1.0,
                  "ε([δ + u(|x_i| + M)]/(us) + |x̂_i|(ρ + LIBM + 4) + 1), δ = u_a(n+1)M + uM, "
                  "ρ = var_err/(2s²) (properties/_normalisation.py)")


def _affine_bound(gr: _Groups, gamma: np.ndarray, beta: np.ndarray) -> Bound:
    b, x_hat = gr.back(gr.budget()), gr.back(gr.x_hat)
    absolute = np.abs(gamma) * b + 3 * np.abs(gamma * x_hat) + 2 * np.abs(beta)
    return _bound(absolute, np.abs(gamma) + np.abs(beta),
                  "ε(|γ|·budget(x̂_i) + 3|γx̂_i| + 2|β|), budget(x̂) as for standardize")


def layer_norm_bound(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps_reg: float, dtype: str) -> Bound:
    return _affine_bound(_groups_layer(x, eps_reg, dtype), gamma[None], beta[None])


def instance_norm_bound(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps_reg: float, dtype: str) -> Bound:
    return _affine_bound(_groups_instance(x, eps_reg, dtype), S._per_channel(gamma, x.ndim),
                         S._per_channel(beta, x.ndim))


def group_norm_bound(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, groups: int, eps_reg: float,
                     dtype: str) -> Bound:
    return _affine_bound(_groups_group(x, groups, eps_reg, dtype), S._per_channel(gamma, x.ndim),
                         S._per_channel(beta, x.ndim))


def _vjp_bounds(gr: _Groups, gamma_b: np.ndarray, dy: np.ndarray, others: tuple[int, ...]
                ) -> tuple[Bound, Bound, Bound]:
    """Bounds of (dx, dγ, dβ); γ broadcast to x's shape; dγ, dβ sum over `others` axes of x."""
    n, s, x_hat = gr.n, gr.s, gr.x_hat
    b = gr.budget()
    g = (gamma_b * dy).reshape(gr.view)
    G, P, Q = gr.mean(np.abs(g)), gr.mean(np.abs(g * x_hat)), gr.mean(np.abs(g) * b)
    m2 = np.abs(gr.mean(g * x_hat))
    T = np.abs(g) + G + np.abs(x_hat) * P
    rho = gr.rho() + LIBM + 1
    dx = (T * (rho + 4) + n * G + np.abs(x_hat) * (n * P + Q) + b * m2) / s
    b_full, xh_full = gr.back(b), gr.back(x_hat)
    m = int(np.prod([dy.shape[a] for a in others]))
    ady = np.abs(dy)
    dgamma = (ady * (b_full + np.abs(xh_full))).sum(axis=others) + m * (ady * np.abs(xh_full)).sum(axis=others)
    dbeta = m * ady.sum(axis=others)
    return (_bound(gr.back(dx), gr.back(T / s), "ε(T_i(ρ + 4) + nG + |x̂_i|(nP + Q) + budget_i|mean g x̂|)/s, "
                   "T_i = |g_i| + mean|g| + |x̂_i|mean|g x̂|"),
            _bound(dgamma, (ady * (1 + np.abs(xh_full))).sum(axis=others), "ε(Σ|dy|(budget + |x̂|) + mΣ|dy x̂|)"),
            _bound(dbeta, ady.sum(axis=others), "ε·m·Σ|dy|"))


def layer_norm_vjp_bounds(x, gamma, beta, dy, eps_reg, dtype):
    return _vjp_bounds(_groups_layer(x, eps_reg, dtype), np.broadcast_to(gamma, x.shape), dy, (0,))


def group_norm_vjp_bounds(x, gamma, beta, dy, groups, eps_reg, dtype):
    gb = np.broadcast_to(S._per_channel(gamma, x.ndim), x.shape)
    return _vjp_bounds(_groups_group(x, groups, eps_reg, dtype), gb, dy, (0, *range(2, x.ndim)))


def _allowed(bound: Bound, dtype: str) -> np.ndarray:
    return eps(dtype) * _absolute(bound) + tiny(dtype)


def _sum_bound(dtype: str, *bounds: Bound) -> Bound:
    """Two results that each lie within their bound of one true value lie within the sum of the bounds
    (and of their tinies: the second one is added as tiny/ε to the absolute allowance)."""
    absolute = sum(_absolute(b) for b in bounds) + (len(bounds) - 1) * tiny(dtype) / eps(dtype)
    return _bound(absolute, bounds[0].scale,
                  " + ".join(b.derivation.split(",")[0] for b in bounds) + " (the sum of the allowances)")


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

STANDARDIZE_SHAPES = [(1, 2), (2, 1), (2, 5), (3, 4, 2), (2, 16)]
LAYER_SHAPES = [(1, 1), (1, 3), (2, 5), (2, 3, 4), (2, 2, 3, 3), (2, 32)]
"""(N, *features): batch 1 and 2; a one-feature sample (σ² = 0, y = β); 2-D to 4-D."""
INSTANCE_SHAPES = [(1, 1, 2), (2, 3, 4), (1, 2, 3, 3), (2, 3, 4, 4), (1, 2, 2, 2, 2)]
"""(N, C, *spatial): 1, 2 and 3 spatial axes, at least 2 spatial elements (see instance_norm_* of one element)."""
GROUP_SHAPES = [(1, 2), (2, 4), (2, 4, 3), (1, 6, 2, 2), (2, 8, 3, 3)]
"""(N, C, *spatial): no spatial axis, 1-D and 2-D; C with several divisors."""

EPS_VALUES = (1e-5, 1e-3, 0.1, 1e-12, 1e-6)
"""ε from the field, in every dtype: the spec's and torch's default, Keras' default, one large enough to dominate
small variances, BERT's 1e-12 (below float16's smallest subnormal: the frameworks add it in float32) and 1e-6."""

LONG_SHAPES = {
    "standardize": [(2, 1025), (1, 4097)],
    "layer": [(2, 1025), (1, 4097)],
    "instance": [(1, 2, 1025), (2, 1, 65, 63)],
    "group": [(1, 4, 1025), (2, 8, 17, 31)],
}
"""Rare long reduced axes (about one example in nine, `rare_buckets`), two shapes per operation because JAX
compiles per shape: n = 1025 and 4097 (just past 2^10 and 2^12, block sizes of the reduction kernels), 4095 =
65 × 63 spatial positions, and groups of 527·C/G values (8 channels of 17 × 31). The 2^24-element class is not
audited (see properties/batch_norm.py, LONG_BUCKETS: the float32 model's allowance is of the data's order there)."""

HUGE = {"float16": 600.0, "bfloat16": 1e15, "float32": 1e15, "float64": 1e100}
"""Injected large values: dominant, yet with n·x² finite in the dtype (float16 in a float32 working precision):
a variance beyond the dtype's range is outside the audited domain."""


def _params(draw: st.DrawFn, shape: tuple[int, ...], dtype: str, label: str) -> np.ndarray:
    return draw(float_arrays(shape, dtype, exponents=(-1, 1), specials=()), label=label)


def _x(draw: st.DrawFn, shape: tuple[int, ...], dtype: str, *, smooth: bool, axis: int = -1) -> np.ndarray:
    if smooth:  # moderate values, for finite differences
        return draw(float_arrays(shape, dtype, exponents=(0, 0), specials=("none",)), label="x")
    return draw(float_arrays(shape, dtype, huge=HUGE[dtype], offset=True, axis=axis), label="x")


def _centred(x: np.ndarray, kind: str, groups: int | None, dtype: str) -> np.ndarray:
    """x with each normalisation group brought to mean 0 and variance 1, so that central differences with a
    step of ε^(1/3)·max|x| see every group at its own scale (gradients.py assumes the curvature is moderate at
    the inputs' scale; a group whose spread is 1e-3 of max|x| varies far below the step: not the backward's fault)."""
    if kind == "layer":
        y = S.standardize(x, axis=tuple(range(1, x.ndim)), eps=1e-300)
    elif kind == "instance":
        y = S.standardize(x, axis=tuple(range(2, x.ndim)), eps=1e-300)
    else:
        xg = x.reshape(x.shape[0], groups, x.shape[1] // groups, *x.shape[2:])
        y = S.standardize(xg, axis=tuple(range(2, xg.ndim)), eps=1e-300).reshape(x.shape)
    return round_to(y, dtype)


@cached
def _axes_lists(ndim: int) -> st.SearchStrategy[list[int]]:
    return st.lists(integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)


def _axis_draw(draw: st.DrawFn, ndim: int):
    kind = draw(sampled_from(["int", "tuple"]), label="axis kind")
    if kind == "int":
        return draw(integers(-ndim, ndim - 1), label="axis")
    axes = draw(_axes_lists(ndim), label="axes")
    return tuple(sorted(axes))


@lru_cache
def standardize_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(rare_buckets(STANDARDIZE_SHAPES, LONG_SHAPES["standardize"], one_in=5), label="shape")
        axis = _axis_draw(draw, len(shape))
        first = axis if isinstance(axis, int) else axis[0]
        x = _x(draw, shape, dtype, smooth=False, axis=first)
        return Case(x=x, axis=axis, eps=draw(sampled_from(EPS_VALUES), label="eps"))

    return build()


def _norm_cases(dtype: str, buckets, *, kind: str, smooth: bool, with_dy: bool, single: bool = False,
                long: bool = True) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        sizes = rare_buckets(buckets, LONG_SHAPES[kind], one_in=10) if long and not single else shapes(buckets)
        shape = draw(sizes, label="shape")
        groups = None
        if kind == "group":
            c = shape[1]
            size = int(np.prod(shape[2:], dtype=int))  # groups of one element: see the *_is_beta properties
            choices = [g for g in range(1, c + 1) if c % g == 0 and (single or (c // g) * size >= 2)]
            groups = draw(sampled_from(choices), label="groups")
        x = _x(draw, shape, dtype, smooth=smooth)
        if smooth:
            x = _centred(x, kind, groups, dtype)
        pshape = shape[1:] if kind == "layer" else (shape[1],)
        fields = {"x": x, "gamma": _params(draw, pshape, dtype, "gamma"), "beta": _params(draw, pshape, dtype, "beta")}
        if with_dy:
            fields["dy"] = draw(float_arrays(shape, dtype, exponents=(0, 0), specials=()), label="dy")
        if groups is not None:
            fields["groups"] = groups
        fields["eps"] = draw(sampled_from(EPS_VALUES), label="eps")
        if smooth:
            fields["seed"] = draw(seeds(), label="seed")
        return Case(**fields)

    return build()


@lru_cache
def layer_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _norm_cases(dtype, LAYER_SHAPES, kind="layer", smooth=False, with_dy=False)


@lru_cache
def layer_vjp_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _norm_cases(dtype, LAYER_SHAPES, kind="layer", smooth=False, with_dy=True)


@lru_cache
def layer_smooth_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _norm_cases(dtype, LAYER_SHAPES, kind="layer", smooth=True, with_dy=False)


@lru_cache
def instance_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _norm_cases(dtype, INSTANCE_SHAPES, kind="instance", smooth=False, with_dy=False)


@lru_cache
def group_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _norm_cases(dtype, GROUP_SHAPES, kind="group", smooth=False, with_dy=False)


@lru_cache
def group_vjp_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _norm_cases(dtype, GROUP_SHAPES, kind="group", smooth=False, with_dy=True)


@lru_cache
def group_smooth_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _norm_cases(dtype, GROUP_SHAPES, kind="group", smooth=True, with_dy=False)


@lru_cache
def group_as_instance_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Group-norm cases with a spatial axis of at least 2 elements, as instance norm needs."""
    buckets = [s for s in GROUP_SHAPES if len(s) > 2]
    return _norm_cases(dtype, buckets, kind="group", smooth=False, with_dy=False)  # the long shapes have space


INSTANCE_SINGLE_SHAPES = [(1, 1, 1), (2, 3, 1), (1, 2, 1, 1)]
GROUP_SINGLE_SHAPES = [(1, 1), (2, 3), (1, 4), (2, 2, 1)]
"""Groups of one element (σ² = 0, so y = β): one spatial position; G = C with no or one spatial position."""


@lru_cache
def instance_single_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _norm_cases(dtype, INSTANCE_SINGLE_SHAPES, kind="instance", smooth=False, with_dy=False, long=False)


@lru_cache
def group_single_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(_norm_cases(dtype, GROUP_SINGLE_SHAPES, kind="group", smooth=False, with_dy=False, single=True))
        return Case(**{**case.fields(), "groups": case.x.shape[1]})

    return build()


SHIFT_EXPONENTS = (0, 3)
"""The added constant is t·10^j times the data's spread, t ~ N(0, 1) per group, j drawn: 1 to 1000 spreads."""


def _shift(draw: st.DrawFn, x: np.ndarray, group_shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A random constant per group (shape broadcastable to x), 10^j times the spread of x, rounded to dtype."""
    j = draw(integers(*SHIFT_EXPONENTS), label="shift exponent")
    rng = np.random.default_rng(draw(seeds(), label="shift seed"))
    spread = float(np.std(x)) or 1.0
    room = max(0.5 * max_value(dtype) - float(np.max(np.abs(x))), 0.0)  # x + c stays finite in the dtype
    return round_to(np.clip(rng.standard_normal(group_shape) * spread * 10.0**j, -room, room), dtype)


def _shifted_cases(base, group_shape_of, dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(base(dtype))
        c = _shift(draw, case.x, group_shape_of(case), dtype)
        shifted = round_to(case.x + c, dtype)
        return Case(**case.fields(), shifted=shifted)

    return build()


@lru_cache
def layer_shifted_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _shifted_cases(layer_cases, lambda c: (c.x.shape[0],) + (1,) * (c.x.ndim - 1), dtype)


@lru_cache
def instance_shifted_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _shifted_cases(instance_cases, lambda c: c.x.shape[:2] + (1,) * (c.x.ndim - 2), dtype)


def _group_shift_shape(c: Case) -> tuple[int, ...]:
    return c.x.shape[:1] + (c.groups,) + (1,) * (c.x.ndim - 2)


@lru_cache
def group_shifted_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(group_cases(dtype))
        n, ch = case.x.shape[:2]
        c = _shift(draw, case.x, (n, case.groups), dtype)
        c = np.repeat(c, ch // case.groups, axis=1).reshape((n, ch) + (1,) * (case.x.ndim - 2))
        return Case(**case.fields(), shifted=round_to(case.x + c, dtype))

    return build()


@lru_cache
def standardize_shifted_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(standardize_cases(dtype))
        axes = S._axes(case.axis, case.x.ndim)
        gshape = tuple(1 if a in axes else d for a, d in enumerate(case.x.shape))
        c = _shift(draw, case.x, gshape, dtype)
        return Case(**case.fields(), shifted=round_to(case.x + c, dtype))

    return build()


def _scaled_cases(base, n_of, dtype: str) -> st.SearchStrategy[Case]:
    """`base` cases with x scaled by a power of two a = 2^k and ε by a² (exact), k from the reach of
    `scale_exponent_range` (properties/_normalisation.py): up to the dtype's largest value for float16."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(base(dtype))
        a = 2.0 ** draw_scale_exponent(draw, case.x, case.eps, n_of(case), dtype)
        return Case(**case.fields(), scaled=case.x * a, scaled_eps=case.eps * a * a)

    return build()


@lru_cache
def standardize_scaled_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _scaled_cases(standardize_cases, lambda c: _groups_standardize(c.x, c.axis, c.eps, dtype).n, dtype)


@lru_cache
def layer_scaled_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _scaled_cases(layer_cases, lambda c: int(np.prod(c.x.shape[1:])), dtype)


@lru_cache
def instance_scaled_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _scaled_cases(instance_cases, lambda c: int(np.prod(c.x.shape[2:])), dtype)


@lru_cache
def group_scaled_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _scaled_cases(group_cases, lambda c: int(np.prod(c.x.shape[1:])) // c.groups, dtype)


# ---------------------------------------------------------------------------------------------------------
# Properties: each operation against the spec
# ---------------------------------------------------------------------------------------------------------


@prop("standardize", cases=standardize_cases)
def standardize_matches_spec(impl: Impl, case: Case) -> None:
    """standardize(x) equals (x − μ)/√(σ² + ε) over the given axes, with the biased variance."""
    got = impl("standardize", case.x, axis=case.axis, eps=case.eps)
    want = S.standardize(case.x, axis=case.axis, eps=case.eps)
    assert_close("standardize", got, want, standardize_bound(case.x, case.axis, case.eps, impl.dtype), impl=impl)


@prop("layer_norm", cases=layer_cases)
def layer_norm_matches_spec(impl: Impl, case: Case) -> None:
    """layer_norm normalises each sample over all its features, then applies the elementwise γ, β."""
    got = impl("layer_norm", case.x, case.gamma, case.beta, eps=case.eps)
    want = S.layer_norm(case.x, case.gamma, case.beta, eps=case.eps)
    bound = layer_norm_bound(case.x, case.gamma, case.beta, case.eps, impl.dtype)
    assert_close("layer_norm", got, want, bound, impl=impl)


@prop("instance_norm", cases=instance_cases)
def instance_norm_matches_spec(impl: Impl, case: Case) -> None:
    """instance_norm normalises each (sample, channel) over its spatial positions, then applies γ_c, β_c."""
    got = impl("instance_norm", case.x, case.gamma, case.beta, eps=case.eps)
    want = S.instance_norm(case.x, case.gamma, case.beta, eps=case.eps)
    bound = instance_norm_bound(case.x, case.gamma, case.beta, case.eps, impl.dtype)
    assert_close("instance_norm", got, want, bound, impl=impl)


@prop("group_norm", cases=group_cases)
def group_norm_matches_spec(impl: Impl, case: Case) -> None:
    """group_norm normalises each (sample, group of C/G channels) over those channels and all positions."""
    got = impl("group_norm", case.x, case.gamma, case.beta, groups=case.groups, eps=case.eps)
    want = S.group_norm(case.x, case.gamma, case.beta, groups=case.groups, eps=case.eps)
    bound = group_norm_bound(case.x, case.gamma, case.beta, case.groups, case.eps, impl.dtype)
    assert_close("group_norm", got, want, bound, impl=impl)


@prop("instance_norm", cases=instance_single_cases)
def instance_norm_of_a_single_position_is_beta(impl: Impl, case: Case) -> None:
    """With one spatial position each (sample, channel) has σ² = 0, so x̂ = 0 and instance_norm gives β_c."""
    got = impl("instance_norm", case.x, case.gamma, case.beta, eps=case.eps)
    want = S.instance_norm(case.x, case.gamma, case.beta, eps=case.eps)
    bound = instance_norm_bound(case.x, case.gamma, case.beta, case.eps, impl.dtype)
    assert_close("instance_norm", got, want, bound, impl=impl)


@prop("group_norm", cases=group_single_cases)
def group_norm_of_single_element_groups_is_beta(impl: Impl, case: Case) -> None:
    """A group of one element (G = C, one position) has σ² = 0, so x̂ = 0 and group_norm gives β_c."""
    got = impl("group_norm", case.x, case.gamma, case.beta, groups=case.groups, eps=case.eps)
    want = S.group_norm(case.x, case.gamma, case.beta, groups=case.groups, eps=case.eps)
    bound = group_norm_bound(case.x, case.gamma, case.beta, case.groups, case.eps, impl.dtype)
    assert_close("group_norm", got, want, bound, impl=impl)


def _check_vjp(impl: Impl, op: str, got, want, bounds) -> None:
    __tracebackhide__ = True
    for name, g, w, b in zip(("dx", "dgamma", "dbeta"), got, want, bounds):
        assert_close(op, g, w, b, impl=impl, what=name)


@prop("layer_norm_vjp", cases=layer_vjp_cases)
def layer_norm_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The layer-norm backward is dx = (g − mean g − x̂ mean(g x̂))/s with g = γ dy, dγ = Σ_N dy x̂, dβ = Σ_N dy."""
    got = impl("layer_norm_vjp", case.x, case.gamma, case.beta, case.dy, eps=case.eps)
    want = S.layer_norm_vjp(case.x, case.gamma, case.beta, case.dy, eps=case.eps)
    _check_vjp(impl, "layer_norm_vjp", got, want,
               layer_norm_vjp_bounds(case.x, case.gamma, case.beta, case.dy, case.eps, impl.dtype))


@prop("group_norm_vjp", cases=group_vjp_cases)
def group_norm_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The group-norm backward is dx = (g − mean g − x̂ mean(g x̂))/s per group, dγ_c, dβ_c summed over N and space."""
    got = impl("group_norm_vjp", case.x, case.gamma, case.beta, case.dy, groups=case.groups, eps=case.eps)
    want = S.group_norm_vjp(case.x, case.gamma, case.beta, case.dy, groups=case.groups, eps=case.eps)
    _check_vjp(impl, "group_norm_vjp", got, want,
               group_norm_vjp_bounds(case.x, case.gamma, case.beta, case.dy, case.groups, case.eps, impl.dtype))


@prop("layer_norm", "layer_norm_vjp", cases=layer_smooth_cases, dtypes=("float32", "float64"))
def layer_norm_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's layer-norm backward agrees with central differences of its own layer_norm, in x, γ and β."""
    check_vjp_against_forward(
        impl, "layer_norm", "layer_norm_vjp", [case.x, case.gamma, case.beta], [0, 1, 2],
        kwargs={"eps": case.eps}, seed=case.seed,
        forward_allowed=lambda a, out: _allowed(layer_norm_bound(a[0], a[1], a[2], case.eps, impl.dtype), impl.dtype),
    )


@prop("group_norm", "group_norm_vjp", cases=group_smooth_cases, dtypes=("float32", "float64"))
def group_norm_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's group-norm backward agrees with central differences of its own group_norm, in x, γ and β."""
    check_vjp_against_forward(
        impl, "group_norm", "group_norm_vjp", [case.x, case.gamma, case.beta], [0, 1, 2],
        kwargs={"groups": case.groups, "eps": case.eps}, seed=case.seed,
        forward_allowed=lambda a, out: _allowed(group_norm_bound(a[0], a[1], a[2], case.groups, case.eps, impl.dtype),
                                                impl.dtype),
    )


# ---------------------------------------------------------------------------------------------------------
# Properties: relations between the operations
# ---------------------------------------------------------------------------------------------------------


@prop("group_norm", "instance_norm", cases=group_as_instance_cases)
def group_norm_with_one_channel_per_group_is_instance_norm(impl: Impl, case: Case) -> None:
    """group_norm with G = C equals instance_norm."""
    c = case.x.shape[1]
    gn = impl("group_norm", case.x, case.gamma, case.beta, groups=c, eps=case.eps)
    inn = impl("instance_norm", case.x, case.gamma, case.beta, eps=case.eps)
    bound = _sum_bound(impl.dtype, group_norm_bound(case.x, case.gamma, case.beta, c, case.eps, impl.dtype),
                       instance_norm_bound(case.x, case.gamma, case.beta, case.eps, impl.dtype))
    assert_close("group_norm", gn, inn, bound, impl=impl, what="group_norm(G=C) − instance_norm")


@prop("group_norm", "layer_norm", cases=group_cases)
def group_norm_with_one_group_is_layer_norm(impl: Impl, case: Case) -> None:
    """group_norm with G = 1 equals layer_norm whose γ, β are the per-channel ones broadcast over the positions."""
    shape = case.x.shape
    gamma_ln = np.broadcast_to(S._per_channel(case.gamma, len(shape)), shape)[0].copy()
    beta_ln = np.broadcast_to(S._per_channel(case.beta, len(shape)), shape)[0].copy()
    gn = impl("group_norm", case.x, case.gamma, case.beta, groups=1, eps=case.eps)
    ln = impl("layer_norm", case.x, gamma_ln, beta_ln, eps=case.eps)
    bound = _sum_bound(impl.dtype, group_norm_bound(case.x, case.gamma, case.beta, 1, case.eps, impl.dtype),
                       layer_norm_bound(case.x, gamma_ln, beta_ln, case.eps, impl.dtype))
    assert_close("group_norm", gn, ln, bound, impl=impl, what="group_norm(G=1) − layer_norm")


@prop("layer_norm", "standardize", cases=layer_cases)
def layer_norm_is_affine_standardize(impl: Impl, case: Case) -> None:
    """layer_norm(x, γ, β) = γ · standardize(x over all axes but 0) + β, with the backend's own two ops."""
    axes = tuple(range(1, case.x.ndim))
    ln = impl("layer_norm", case.x, case.gamma, case.beta, eps=case.eps)
    st_ = impl("standardize", case.x, axis=axes, eps=case.eps)
    sb = standardize_bound(case.x, axes, case.eps, impl.dtype)
    # γ·(standardize ± its allowance) + β, evaluated here in float64 (its own rounding ≪ the dtype's ε)
    bound = _sum_bound(impl.dtype, layer_norm_bound(case.x, case.gamma, case.beta, case.eps, impl.dtype),
                       _bound(np.abs(case.gamma) * _absolute(sb), np.abs(case.gamma), sb.derivation))
    assert_close("layer_norm", ln, case.gamma * st_ + case.beta, bound, impl=impl, what="layer_norm − (γ·std + β)")


def _check_moments(impl: Impl, op: str, y: np.ndarray, gr: _Groups, bound: Bound) -> None:
    """Per group: |mean ŷ| <= mean a, |var ŷ − σ²/(σ²+ε)| <= 2 mean(|x̂| a) + mean(a²) (+ float64 rounding here),
    a_i the output's allowance: ŷ = x̂ + e with |e_i| <= a_i, mean x̂ = 0, so var ŷ − var x̂ = 2 mean(x̂ e) +
    mean(e²) − ē², and var x̂ = σ²/(σ² + ε) exactly."""
    __tracebackhide__ = True
    e = eps(impl.dtype)
    a = _allowed(bound, impl.dtype).reshape(gr.view)
    yv = y.reshape(gr.view)
    n = gr.n
    here = np.finfo(np.float64).eps * (n + 5)  # our own float64 mean and variance of ŷ
    mean = yv.mean(axis=gr.axes, keepdims=True)
    mean_allowed = gr.mean(a) + here * gr.mean(np.abs(yv))
    assert_close(op, mean, np.zeros_like(mean), Bound(mean_allowed / e, 1.0, "mean of the allowances"),
                 impl=impl, what="mean over a group")
    var = ((yv - mean) ** 2).mean(axis=gr.axes, keepdims=True)
    want = gr.var / (gr.var + gr.eps_reg)
    var_allowed = 2 * gr.mean(np.abs(gr.x_hat) * a) + gr.mean(a**2) + here * (gr.mean(yv**2) + want)
    assert_close(op, var, want, Bound(var_allowed / e, 1.0, "2 mean(|x̂| a) + mean(a²)"),
                 impl=impl, what="variance over a group")


def _unit(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.ones_like(p), np.zeros_like(p)


@prop("layer_norm", cases=layer_cases)
def layer_norm_output_has_zero_mean_and_normalised_variance(impl: Impl, case: Case) -> None:
    """With γ = 1, β = 0, each sample of layer_norm's output has mean 0 and variance σ²/(σ² + ε)."""
    one, zero = _unit(case.gamma)
    y = impl("layer_norm", case.x, one, zero, eps=case.eps)
    _check_moments(impl, "layer_norm", y, _groups_layer(case.x, case.eps, impl.dtype),
                   layer_norm_bound(case.x, one, zero, case.eps, impl.dtype))


@prop("instance_norm", cases=instance_cases)
def instance_norm_output_has_zero_mean_and_normalised_variance(impl: Impl, case: Case) -> None:
    """With γ = 1, β = 0, each (sample, channel) of instance_norm's output has mean 0 and variance σ²/(σ² + ε)."""
    one, zero = _unit(case.gamma)
    y = impl("instance_norm", case.x, one, zero, eps=case.eps)
    _check_moments(impl, "instance_norm", y, _groups_instance(case.x, case.eps, impl.dtype),
                   instance_norm_bound(case.x, one, zero, case.eps, impl.dtype))


@prop("group_norm", cases=group_cases)
def group_norm_output_has_zero_mean_and_normalised_variance(impl: Impl, case: Case) -> None:
    """With γ = 1, β = 0, each (sample, group) of group_norm's output has mean 0 and variance σ²/(σ² + ε)."""
    one, zero = _unit(case.gamma)
    y = impl("group_norm", case.x, one, zero, groups=case.groups, eps=case.eps)
    _check_moments(impl, "group_norm", y, _groups_group(case.x, case.groups, case.eps, impl.dtype),
                   group_norm_bound(case.x, one, zero, case.groups, case.eps, impl.dtype))


def _shift_bound(gr: _Groups, shifted: np.ndarray, gamma_b: np.ndarray, dtype: str, b_x: Bound, b_s: Bound) -> Bound:
    """f(x + c) − f(x) for a per-group constant c: both allowances, plus the rounding r of x + c in the dtype,
    |r_i| <= ε|x'_i|/2, which moves x̂_i by (|r_i| + mean|r| + |x̂_i| mean(|x̂||r|))/s (∂x̂_i/∂x_j above)."""
    r = 0.5 * np.abs(shifted).reshape(gr.view)
    moved = (r + gr.mean(r) + np.abs(gr.x_hat) * gr.mean(np.abs(gr.x_hat) * r)) / gr.s
    total = _absolute(b_x) + _absolute(b_s) + np.abs(gamma_b) * gr.back(moved) + tiny(dtype) / eps(dtype)
    return _bound(total, b_x.scale, "both allowances + the rounding of x + c, through ∂x̂/∂x")


@prop("standardize", cases=standardize_shifted_cases)
def standardize_is_invariant_to_a_constant_added_per_slice(impl: Impl, case: Case) -> None:
    """standardize(x + c) = standardize(x) for c constant over each standardized slice, however large."""
    y = impl("standardize", case.x, axis=case.axis, eps=case.eps)
    y2 = impl("standardize", case.shifted, axis=case.axis, eps=case.eps)
    gr = _groups_standardize(case.x, case.axis, case.eps, impl.dtype)
    bound = _shift_bound(gr, case.shifted, np.ones_like(case.x), impl.dtype,
                         standardize_bound(case.x, case.axis, case.eps, impl.dtype),
                         standardize_bound(case.shifted, case.axis, case.eps, impl.dtype))
    assert_close("standardize", y2, y, bound, impl=impl, what="standardize(x + c)")


@prop("layer_norm", cases=layer_shifted_cases)
def layer_norm_is_invariant_to_a_constant_added_per_sample(impl: Impl, case: Case) -> None:
    """layer_norm(x + c) = layer_norm(x) for c constant over each sample, however large."""
    y = impl("layer_norm", case.x, case.gamma, case.beta, eps=case.eps)
    y2 = impl("layer_norm", case.shifted, case.gamma, case.beta, eps=case.eps)
    gb = np.broadcast_to(case.gamma, case.x.shape)
    bound = _shift_bound(_groups_layer(case.x, case.eps, impl.dtype), case.shifted, gb, impl.dtype,
                         layer_norm_bound(case.x, case.gamma, case.beta, case.eps, impl.dtype),
                         layer_norm_bound(case.shifted, case.gamma, case.beta, case.eps, impl.dtype))
    assert_close("layer_norm", y2, y, bound, impl=impl, what="layer_norm(x + c)")


@prop("instance_norm", cases=instance_shifted_cases)
def instance_norm_is_invariant_to_a_constant_added_per_channel(impl: Impl, case: Case) -> None:
    """instance_norm(x + c) = instance_norm(x) for c constant over each (sample, channel), however large."""
    y = impl("instance_norm", case.x, case.gamma, case.beta, eps=case.eps)
    y2 = impl("instance_norm", case.shifted, case.gamma, case.beta, eps=case.eps)
    gb = np.broadcast_to(S._per_channel(case.gamma, case.x.ndim), case.x.shape)
    bound = _shift_bound(_groups_instance(case.x, case.eps, impl.dtype), case.shifted, gb, impl.dtype,
                         instance_norm_bound(case.x, case.gamma, case.beta, case.eps, impl.dtype),
                         instance_norm_bound(case.shifted, case.gamma, case.beta, case.eps, impl.dtype))
    assert_close("instance_norm", y2, y, bound, impl=impl, what="instance_norm(x + c)")


@prop("group_norm", cases=group_shifted_cases)
def group_norm_is_invariant_to_a_constant_added_per_group(impl: Impl, case: Case) -> None:
    """group_norm(x + c) = group_norm(x) for c constant over each (sample, group), however large."""
    y = impl("group_norm", case.x, case.gamma, case.beta, groups=case.groups, eps=case.eps)
    y2 = impl("group_norm", case.shifted, case.gamma, case.beta, groups=case.groups, eps=case.eps)
    gb = np.broadcast_to(S._per_channel(case.gamma, case.x.ndim), case.x.shape)
    bound = _shift_bound(_groups_group(case.x, case.groups, case.eps, impl.dtype), case.shifted, gb, impl.dtype,
                         group_norm_bound(case.x, case.gamma, case.beta, case.groups, case.eps, impl.dtype),
                         group_norm_bound(case.shifted, case.gamma, case.beta, case.groups, case.eps, impl.dtype))
    assert_close("group_norm", y2, y, bound, impl=impl, what="group_norm(x + c)")


def _check_scaled(impl: Impl, op: str, y: np.ndarray, y_scaled: np.ndarray, b: Bound, b_scaled: Bound) -> None:
    """Both outputs within their own allowance of one exact value: x̂ is invariant to x → a·x, ε → a²·ε."""
    __tracebackhide__ = True
    assert_close(op, y_scaled, y, _sum_bound(impl.dtype, b, b_scaled), impl=impl, what=f"{op}(a·x, ε = a²·ε)")


@prop("standardize", cases=standardize_scaled_cases)
def standardize_is_invariant_to_scaling_x_by_a_and_eps_by_a_squared(impl: Impl, case: Case) -> None:
    """standardize(a·x, ε = a²ε) = standardize(x, ε) for a > 0 (a power of two here: a·x is exact)."""
    y = impl("standardize", case.x, axis=case.axis, eps=case.eps)
    y2 = impl("standardize", case.scaled, axis=case.axis, eps=case.scaled_eps)
    _check_scaled(impl, "standardize", y, y2, standardize_bound(case.x, case.axis, case.eps, impl.dtype),
                  standardize_bound(case.scaled, case.axis, case.scaled_eps, impl.dtype))


@prop("layer_norm", cases=layer_scaled_cases)
def layer_norm_is_invariant_to_scaling_x_by_a_and_eps_by_a_squared(impl: Impl, case: Case) -> None:
    """layer_norm(a·x, γ, β, ε = a²ε) = layer_norm(x, γ, β, ε) for a > 0."""
    y = impl("layer_norm", case.x, case.gamma, case.beta, eps=case.eps)
    y2 = impl("layer_norm", case.scaled, case.gamma, case.beta, eps=case.scaled_eps)
    _check_scaled(impl, "layer_norm", y, y2, layer_norm_bound(case.x, case.gamma, case.beta, case.eps, impl.dtype),
                  layer_norm_bound(case.scaled, case.gamma, case.beta, case.scaled_eps, impl.dtype))


@prop("instance_norm", cases=instance_scaled_cases)
def instance_norm_is_invariant_to_scaling_x_by_a_and_eps_by_a_squared(impl: Impl, case: Case) -> None:
    """instance_norm(a·x, γ, β, ε = a²ε) = instance_norm(x, γ, β, ε) for a > 0."""
    y = impl("instance_norm", case.x, case.gamma, case.beta, eps=case.eps)
    y2 = impl("instance_norm", case.scaled, case.gamma, case.beta, eps=case.scaled_eps)
    _check_scaled(impl, "instance_norm", y, y2,
                  instance_norm_bound(case.x, case.gamma, case.beta, case.eps, impl.dtype),
                  instance_norm_bound(case.scaled, case.gamma, case.beta, case.scaled_eps, impl.dtype))


@prop("group_norm", cases=group_scaled_cases)
def group_norm_is_invariant_to_scaling_x_by_a_and_eps_by_a_squared(impl: Impl, case: Case) -> None:
    """group_norm(a·x, γ, β, ε = a²ε) = group_norm(x, γ, β, ε) for a > 0."""
    kw = {"groups": case.groups}
    y = impl("group_norm", case.x, case.gamma, case.beta, eps=case.eps, **kw)
    y2 = impl("group_norm", case.scaled, case.gamma, case.beta, eps=case.scaled_eps, **kw)
    _check_scaled(impl, "group_norm", y, y2,
                  group_norm_bound(case.x, case.gamma, case.beta, case.groups, case.eps, impl.dtype),
                  group_norm_bound(case.scaled, case.gamma, case.beta, case.groups, case.scaled_eps, impl.dtype))


# ---------------------------------------------------------------------------------------------------------
# Properties: shapes and dtypes
# ---------------------------------------------------------------------------------------------------------


def _check_shape_dtype(impl: Impl, op: str, out, shapes_: tuple[tuple[int, ...], ...]) -> None:
    __tracebackhide__ = True
    outs = out if isinstance(out, tuple) else (out,)
    for o, want, what in zip(outs, shapes_, ("out", "dgamma", "dbeta") if len(outs) > 1 else ("out",)):
        assert_output_dtype(op, o, impl=impl, what=what)
        if np.shape(o) != want:
            raise AssertionError(f"{what}.shape={np.shape(o)}, but should be {want} [{op}({impl.id})]")


@prop("layer_norm", "layer_norm_vjp", cases=layer_vjp_cases)
def layer_norm_and_its_vjp_keep_shapes_and_dtype(impl: Impl, case: Case) -> None:
    """layer_norm returns x's shape and dtype; its vjp returns dx, dγ, dβ in the shapes of x, γ, β and x's dtype."""
    _check_shape_dtype(impl, "layer_norm", impl.raw("layer_norm", case.x, case.gamma, case.beta, eps=case.eps),
                       (case.x.shape,))
    _check_shape_dtype(impl, "layer_norm_vjp",
                       impl.raw("layer_norm_vjp", case.x, case.gamma, case.beta, case.dy, eps=case.eps),
                       (case.x.shape, case.gamma.shape, case.beta.shape))


@prop("group_norm", "group_norm_vjp", cases=group_vjp_cases)
def group_norm_and_its_vjp_keep_shapes_and_dtype(impl: Impl, case: Case) -> None:
    """group_norm returns x's shape and dtype; its vjp returns dx, dγ, dβ in the shapes of x, γ, β and x's dtype."""
    kw = {"groups": case.groups, "eps": case.eps}
    _check_shape_dtype(impl, "group_norm", impl.raw("group_norm", case.x, case.gamma, case.beta, **kw),
                       (case.x.shape,))
    _check_shape_dtype(impl, "group_norm_vjp", impl.raw("group_norm_vjp", case.x, case.gamma, case.beta, case.dy, **kw),
                       (case.x.shape, case.gamma.shape, case.beta.shape))


@prop("standardize", cases=standardize_cases)
def standardize_keeps_shape_and_dtype(impl: Impl, case: Case) -> None:
    """standardize returns x's shape and dtype."""
    _check_shape_dtype(impl, "standardize", impl.raw("standardize", case.x, axis=case.axis, eps=case.eps),
                       (case.x.shape,))


@prop("instance_norm", cases=instance_cases)
def instance_norm_keeps_shape_and_dtype(impl: Impl, case: Case) -> None:
    """instance_norm returns x's shape and dtype."""
    _check_shape_dtype(impl, "instance_norm", impl.raw("instance_norm", case.x, case.gamma, case.beta, eps=case.eps),
                       (case.x.shape,))
