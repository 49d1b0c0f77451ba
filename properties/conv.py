"""Properties of 2-D convolution: differential (backend vs spec), output sizes, 'same' padding, 1×1 as a matrix
product, groups as concatenated convolutions, the bias, homogeneity in x, and gradients.

Reach (the value properties conv2d/grouped_conv2d/conv2d_vjp/…_matches_spec; shares of the CI profile's 100
examples, from the gates below: a rare bucket ≈ 1 in 10 (strategies.rare_gate), values scaled to the maximum ≈ 1 in 10):
| region | what | share |
|---|---|---|
| small geometries | 1×1, 2×2, 3×3, 5×5, non-square, dilated, 'same'/'valid'/asymmetric, strides 1–3, N 1–2 | ≈ 9/10 |
| depthwise | groups = C_in, multiplier 1 (stride 1, 2) and 2 (stride 1, 2), 3×3 | ≈ 1/2 of the grouped ones |
| wide channels | C_in = 17, 33, 65 (K = (C_in/g)·K_h·K_w up to 585: past vector widths and blocks) | ≈ 1/10 |
| long spatial axes | W = 65, 129 (output rows past 64) | within the 1/10 above |
| magnitudes | x, w ~ 10^k (k per dtype), ties, constant rows, tiny, signed zeros | ≈ 9/10 |
| signs | signed; x >= 0 (post-ReLU); x, w >= 0 (no cancellation) | ≈ 1/3 each |
| near the maximum | x scaled by 2^j so that max Σ|w x| + |b| lies in (max/4, max/2] | ≈ 1/10 |
| geometry search | per-axis K 1–4, d 1–2, S 1–3, P 0–2, sizes that fit (shape properties only) | its own properties |
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st

from ..dtypes import eps, max_value, round_to, tiny
from ..spec import conv as S
from .assertions import assert_close, assert_equal, assert_output_dtype
from .gradients import check_vjp_against_forward
from .harness import Case, Impl, prop
from .strategies import cached, float_arrays, integers, rare_buckets, rare_gate, sampled_from, seeds, shapes
from .tolerance import Bound

# ---------------------------------------------------------------------------------------------------------
# Error models (see properties/tolerance.py for the method)
#
# conv2d: each output is a dot product plus the bias, y = b + Σ_{k<K} w_k x_k with K = (C_in/g)·K_h·K_w
#   terms (taps falling in the zero padding are exact zeros and cost nothing). Counting roundings per term
#   (Higham §3.1, Eq. 3.4 / §4.2): a product is rounded once, and a term then passes through at most K
#   additions (K + 1 addends with the bias) in any summation order (recursive, pairwise, blocked GEMM,
#   partial sums per tap or per channel block rounded to the dtype and added again). So
#       |Δy| <= ε·(K + 1)·(Σ_k |w_k x_k| + |b|),
#   with accumulation in the dtype itself. A backend that accumulates float16/bfloat16 in float32 and rounds
#   once at the end (what oneDNN, XLA CPU and NumPy with dtype= do) errs by ε_low·|y| + ε_32·(K + 1)·scale,
#   inside the same bound for K >= 1; adding the bias after rounding the convolution (flax, tf.nn.bias_add)
#   is one of the K additions. (Measured on CPU, torch 2.13, jax 0.10.2, tensorflow 2.21: all three accumulate
#   float16 and bfloat16 convolutions in float32 — 1 + 63·2⁻¹¹ by a 1×1 conv over 64 channels comes out correctly
#   rounded, where float16 accumulation would give 1 — so they use a small part of this budget.)
#   float16/bfloat16, tightened (issue 10: the bound above accepts a float16 accumulator, the inferior algorithm
#   oneDNN's GPU kernels shipped and then fixed, uxlfoundation/oneDNN#5041): the field accumulates low precision
#   in float32 (oneDNN CPU, XLA CPU, Eigen, torch's slow path, NumPy here). A product of two float16 (bfloat16)
#   values has at most 22 (16) significant bits, exact in float32's 24, so the float32 sum errs by
#   ε_32·(K + 1)·scale; rounding the result to the dtype costs ε·|y| <= ε·scale, and a bias added after that
#   rounding one more ε·scale. Budget, in units of the dtype's ε: 2 + (K + 1)·ε_32/ε. A float16 accumulator
#   errs by up to ε·(K − 1)·scale, beyond 2ε once a few partial sums round (K = 153, 585 in the wide buckets).
#   The bound does NOT cover Winograd or FFT convolution (their transforms have
#   larger, input-dependent error): a backend choosing one would show up here as a finding.
# conv2d_vjp, all sums of products of x, w, dy (no bias term), by the same count:
#   dx: each cell receives at most K_dx = (C_out/g)·K_h·K_w products w·dy   → ε·K_dx·(|w| ⋆ᵀ |dy|)
#   dw: a sum over n, i, j of M = N·H_out·W_out products dy·x               → ε·M·(|dy| ⋆ |x|)
#   db: a sum of the same M values dy (M − 1 additions, + 1 final rounding) → ε·M·Σ|dy|
#   where the scales are the spec's own conv2d_vjp evaluated on absolute values (exact: all terms >= 0).
# ---------------------------------------------------------------------------------------------------------


def _geometry(case: Case) -> dict[str, Any]:
    """The case's geometry as plain Python (TOML examples arrive as int64 arrays)."""
    pad = case.padding
    if not isinstance(pad, str):
        a = np.asarray(pad)
        pad = int(a) if a.ndim == 0 else tuple(tuple(int(v) for v in r) if np.ndim(r) else int(r) for r in a)
    return {"stride": tuple(int(s) for s in np.ravel(case.stride)), "padding": pad,
            "dilation": tuple(int(d) for d in np.ravel(case.dilation)), "groups": int(case.groups)}


def _bias_of(case: Case) -> np.ndarray | None:
    return getattr(case, "b", None)


def _terms(w: np.ndarray) -> int:
    return int(np.prod(w.shape[1:]))  # K = (C_in/g)·K_h·K_w: w's shape already is (C_out, C_in/g, K_h, K_w)


LOW_PRECISION = ("float16", "bfloat16")


def accumulated_in_float32(terms: int | np.ndarray, dtype: str | None, *, roundings: int = 2) -> Any:
    """A sum of `terms` products in ε of `dtype`: float32 accumulation plus `roundings` roundings to the dtype
    (low precision), or `terms` roundings in the dtype itself (float32, float64, or dtype unknown)."""
    if dtype in LOW_PRECISION:
        return roundings + np.asarray(terms, dtype=np.float64) * eps("float32") / eps(dtype)
    return terms


def conv2d_bound(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, geometry: dict[str, Any],
                 dtype: str | None = None) -> Bound:
    scale = S.conv2d(np.abs(x), np.abs(w), None if b is None else np.abs(b), **geometry)
    if dtype in LOW_PRECISION:
        return Bound(scale=scale, budget=accumulated_in_float32(_terms(w) + 1, dtype),
                     derivation="ε·(2 + (K + 1)·ε_32/ε)·(Σ|w x| + |b|): float32 accumulation, rounded to the dtype")
    return Bound(scale=scale, budget=_terms(w) + 1,
                 derivation="ε·(K + 1)·(Σ|w x| + |b|), K = (C_in/g)·K_h·K_w")


def conv2d_vjp_bounds(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, dy: np.ndarray,
                      geometry: dict[str, Any], dtype: str | None = None) -> tuple[Bound, ...]:
    """The backward's sums, tightened for float16/bfloat16 like the forward (float32 accumulation, one rounding
    to the dtype; the field's backward kernels are the forward's GEMMs transposed)."""
    dx_scale, dw_scale = S.conv2d_vjp(np.abs(x), np.abs(w), None, np.abs(dy), **geometry)
    k_dx = w.shape[0] // geometry["groups"] * w.shape[2] * w.shape[3]
    m = dy.shape[0] * dy.shape[2] * dy.shape[3]
    low = " (float16/bfloat16: float32 accumulation, 2 + n·ε_32/ε)" if dtype in LOW_PRECISION else ""
    bounds = (Bound(scale=dx_scale, budget=accumulated_in_float32(k_dx, dtype),
                    derivation="ε·K_dx·Σ|w dy|, K_dx = (C_out/g)·K_h·K_w" + low),
              Bound(scale=dw_scale, budget=accumulated_in_float32(m, dtype),
                    derivation="ε·M·Σ|dy x|, M = N·H_out·W_out" + low))
    if b is None:
        return bounds
    return (*bounds, Bound(scale=np.abs(dy).sum(axis=(0, 2, 3)), budget=accumulated_in_float32(m, dtype),
                           derivation="ε·M·Σ|dy|" + low))


def _allowed(bound: Bound, dtype: str) -> np.ndarray:
    """The absolute error `compare` allows: budget·(ε·scale + tiny)."""
    return np.asarray(bound.budget) * (eps(dtype) * np.abs(np.asarray(bound.scale)) + tiny(dtype))


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------


class Geometry(NamedTuple):
    x_shape: tuple[int, int, int, int]
    w_shape: tuple[int, int, int, int]
    stride: tuple[int, int]
    padding: Any
    dilation: tuple[int, int]
    groups: int


GEOMETRIES = [
    Geometry((1, 1, 3, 3), (1, 1, 2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    Geometry((2, 2, 5, 5), (3, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    Geometry((1, 2, 6, 5), (2, 2, 2, 3), (2, 1), ((0, 1), (2, 0)), (1, 1), 1),   # non-square, asymmetric pads
    Geometry((2, 1, 7, 7), (2, 1, 3, 2), (1, 1), "same", (2, 1), 1),            # even K_w: odd 'same' total
    Geometry((1, 3, 6, 6), (2, 3, 3, 3), (2, 2), "same", (1, 1), 1),            # 'same', stride 2: pads (0, 1)
    Geometry((2, 2, 7, 6), (2, 2, 2, 2), (2, 3), "valid", (2, 2), 1),           # dilation and stride together
    Geometry((1, 2, 4, 4), (3, 2, 1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),   # 1×1
    Geometry((1, 1, 5, 5), (1, 1, 5, 5), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),   # kernel = input: one output
    Geometry((1, 2, 7, 7), (2, 2, 5, 5), (1, 1), ((2, 2), (2, 2)), (1, 1), 1),   # 5×5, 'same'-sized padding
    Geometry((1, 2, 8, 8), (2, 2, 3, 3), (2, 2), ((2, 2), (2, 2)), (2, 2), 1),   # dilated 3×3, stride 2, padded
]
"""groups = 1 geometries for the value properties, smallest first: a short fixed list (JAX compiles per
shape and geometry), covering symmetric, asymmetric, 'same' (odd split, stride > 1) and 'valid' padding,
strides, dilations, non-square kernels, 1×1, 3×3, 5×5, batch sizes 1 and 2."""

WIDE_GEOMETRIES = [
    Geometry((1, 17, 4, 5), (3, 17, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),  # K = 153: past 8/16 lanes
    Geometry((1, 33, 1, 65), (2, 33, 1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),  # 1×1, 65 columns
    Geometry((1, 65, 3, 3), (1, 65, 3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),  # K = 585: one long dot product
    Geometry((1, 1, 3, 129), (2, 1, 3, 3), (1, 2), "same", (1, 1), 1),           # a long row, stride 2
]
"""Rare (≈ 1 in 10) groups = 1 buckets: channel counts and rows past vector widths and GEMM blocks, where kernels
change code path (remainder loops, packed panels), and long dot products where a float16 accumulator shows."""

GROUPED_GEOMETRIES = [
    Geometry((1, 2, 4, 4), (2, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 2),   # depthwise
    Geometry((2, 4, 5, 5), (4, 2, 2, 2), (2, 2), "same", (1, 1), 2),
    Geometry((1, 6, 4, 5), (3, 2, 3, 2), (1, 1), ((1, 0), (0, 1)), (1, 2), 3),   # one filter per group
    Geometry((1, 3, 5, 5), (6, 1, 3, 3), (2, 2), "valid", (1, 1), 3),           # depthwise, multiplier 2
    Geometry((1, 3, 6, 6), (3, 1, 3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 3),   # depthwise, stride 2
    Geometry((2, 2, 5, 5), (4, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 2),   # depthwise ×2, stride 1
    Geometry((1, 2, 9, 9), (2, 1, 5, 5), (1, 1), ((2, 2), (2, 2)), (2, 2), 2),   # depthwise 5×5, dilated
]
"""groups > 1: a separate list, so a backend without grouped convolution is still audited on groups = 1.
Depthwise (groups = C_in) with channel multiplier 1 and 2 at strides 1 and 2: frameworks dispatch these to
dedicated kernels."""

WIDE_GROUPED_GEOMETRIES = [
    Geometry((1, 17, 3, 65), (17, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 17),  # depthwise, 17 ch, 65 cols
    Geometry((1, 33, 5, 17), (66, 1, 3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 33),  # depthwise ×2, stride 2
]
"""Rare (≈ 1 in 10) depthwise buckets with channel counts past vector widths (a channel remainder loop)."""

UNDILATED = [g for g in GEOMETRIES if g.dilation == (1, 1)]
GROUPED_UNDILATED = [g for g in GROUPED_GEOMETRIES if g.dilation == (1, 1)]
DILATED = [g for g in GEOMETRIES + GROUPED_GEOMETRIES if g.dilation != (1, 1)]
"""The backward on its own lists: TensorFlow's CPU kernels compute a dilated forward but raise for a dilated
backward, and a split keeps the undilated backward audited there (see deviations/tensorflow.toml)."""

GEOMETRY_LISTS = {"plain": (GEOMETRIES, WIDE_GEOMETRIES), "grouped": (GROUPED_GEOMETRIES, WIDE_GROUPED_GEOMETRIES),
                  "undilated": (UNDILATED, WIDE_GEOMETRIES), "grouped_undilated": (GROUPED_UNDILATED,
                                                                                   WIDE_GROUPED_GEOMETRIES),
                  "dilated": (DILATED, [])}
"""(common, rare) buckets per list; the rare ones are shared across properties (JAX compiles each shape once)."""

X_EXPONENTS = {"float16": (-2, 1), "bfloat16": (-4, 4), "float32": (-6, 6), "float64": (-8, 8)}
W_EXPONENTS = {"float16": (-2, 0), "bfloat16": (-3, 3), "float32": (-3, 3), "float64": (-3, 3)}
DY_EXPONENTS = {"float16": (-1, 0), "bfloat16": (-2, 2), "float32": (-2, 2), "float64": (-2, 2)}
"""Magnitudes 10^k: float16 kept so that sums of up to ~100 products stay below its max (65504)."""

SPECIALS = ("none", "ties", "constant", "tiny", "signed_zero")
"""No "huge": convolution is linear, so a huge entry only tests whether a sum overflows, which the exponent
draws already reach; ties/constant rows make equal taps, tiny and signed zeros reach subnormal products."""


def _to_the_maximum(fields: dict[str, Any], g: Geometry, dtype: str) -> dict[str, Any]:
    """x and b scaled by a power of two 2^j so that max Σ|w x| + |b| lies in (max/4, max/2]: the output is
    representable, the conv is audited up to the dtype's largest value (exact scaling: no rounding is added)."""
    geo = {"stride": g.stride, "padding": g.padding, "dilation": g.dilation, "groups": g.groups}
    b = fields.get("b")
    top = float(S.conv2d(np.abs(fields["x"]), np.abs(fields["w"]), None if b is None else np.abs(b), **geo).max())
    peak = max(float(np.abs(fields["x"]).max()), 0.0 if b is None else float(np.abs(b).max()))
    if top == 0.0 or peak == 0.0:
        return fields
    top_log = np.log2(max_value(dtype))  # in logs: max/top overflows float64 itself
    j = int(min(np.floor(top_log - 1 - np.log2(top)), np.floor(top_log - np.log2(peak))))
    out = {**fields, "x": round_to(np.ldexp(fields["x"], j), dtype)}
    if b is not None:
        out["b"] = round_to(np.ldexp(b, j), dtype)
    return out


SIGNS = ("signed", "relu", "positive")
"""Signs of the data: both signed; x >= 0 (post-ReLU activations, the common input of a conv); x, w >= 0
(blur/averaging filters): no cancellation, so a low-precision accumulator's roundings show in full."""


def _draw_arrays(draw: st.DrawFn, g: Geometry, dtype: str, *, bias: bool | None = None,
                 smooth: bool = False, reach_max: bool = False) -> dict[str, Any]:
    specials = ("none",) if smooth else SPECIALS
    ex = (0, 0) if smooth else X_EXPONENTS[dtype]
    signs = "signed" if smooth else draw(sampled_from(SIGNS), label="signs")
    x = draw(float_arrays(g.x_shape, dtype, exponents=ex, specials=specials, positive=signs != "signed"), label="x")
    w = draw(float_arrays(g.w_shape, dtype, exponents=(0, 0) if smooth else W_EXPONENTS[dtype],
                          specials=specials, positive=signs == "positive"), label="w")
    fields = {"x": x, "w": w}
    if bias if bias is not None else draw(st.booleans(), label="has_bias"):
        fields["b"] = draw(float_arrays((g.w_shape[0],), dtype, exponents=ex, specials=specials), label="b")
    if reach_max and draw(rare_gate(), label="near_max"):
        fields = _to_the_maximum(fields, g, dtype)
    return fields


def _case(g: Geometry, **arrays: Any) -> Case:
    return Case(**arrays, stride=g.stride, padding=g.padding, dilation=g.dilation, groups=g.groups)


@lru_cache
def _conv_cases(dtype: str, geometries: str = "plain", *, with_dy: bool = False, smooth: bool = False,
                bias: bool | None = None) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        common, rare = GEOMETRY_LISTS[geometries]
        # The backward's rare buckets come once in 4: dw sums N·H_out·W_out terms, and a low-precision accumulator
        # shows only on the long planes (a float16 running sum for dw died after 43 examples at about this rate).
        one_in = 4 if with_dy else 8
        g = draw(rare_buckets(common, rare, one_in=one_in) if rare and not smooth else shapes(common),
                 label="geometry")
        fields = _draw_arrays(draw, g, dtype, bias=bias, smooth=smooth, reach_max=not smooth and not with_dy)
        if with_dy:
            out = S.conv2d_output_shape(g.x_shape, g.w_shape, stride=g.stride, padding=g.padding,
                                        dilation=g.dilation, groups=g.groups)
            fields["dy"] = draw(float_arrays(out, dtype, exponents=DY_EXPONENTS[dtype], specials=()), label="dy")
        if smooth:
            fields["seed"] = draw(seeds(), label="fd_seed")
        return _case(g, **fields)

    return build()


def conv_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _conv_cases(dtype)


def grouped_conv_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _conv_cases(dtype, "grouped")


def conv_vjp_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _conv_cases(dtype, "undilated", with_dy=True)


def grouped_conv_vjp_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _conv_cases(dtype, "grouped_undilated", with_dy=True)


def dilated_conv_vjp_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _conv_cases(dtype, "dilated", with_dy=True)


def smooth_conv_cases(dtype: str) -> st.SearchStrategy[Case]:
    """|x|, |w| ~ 1 and no injections: conv is bilinear, so central differences only see rounding."""
    return _conv_cases(dtype, "undilated", smooth=True)


def biased_conv_cases(dtype: str) -> st.SearchStrategy[Case]:
    return _conv_cases(dtype, bias=True)


ONE_BY_ONE = [((1, 1, 1, 1), (1, 1, 1, 1)), ((2, 3, 2, 3), (4, 3, 1, 1)), ((1, 8, 3, 3), (2, 8, 1, 1))]


@lru_cache
def one_by_one_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        xs, ws = draw(shapes(ONE_BY_ONE), label="shapes")
        g = Geometry(xs, ws, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
        return _case(g, **_draw_arrays(draw, g, dtype))

    return build()


@cached
@st.composite
def _axis(draw: st.DrawFn, padding: str) -> tuple[int, int, int, tuple[int, int], int]:
    """One spatial axis, valid by construction: kernel, dilation, stride, padding, then a size that fits."""
    k = draw(sampled_from([1, 2, 3, 4]), label="k")
    d = draw(sampled_from([1, 2]), label="dilation")
    s = draw(sampled_from([1, 2, 3]), label="stride")
    pads = (draw(integers(0, 2), label="pad_before"), draw(integers(0, 2), label="pad_after")) \
        if padding == "explicit" else (0, 0)
    span = d * (k - 1) + 1
    smallest = 1 if padding == "same" else max(1, span - sum(pads))  # 'same' pads any size to fit
    n = smallest + draw(integers(0, 3), label="extra")
    return k, d, s, pads, n


@lru_cache
def generated_geometry_cases(dtype: str, padding_kinds: tuple[str, ...] = ("explicit", "valid", "same")
                             ) -> st.SearchStrategy[Case]:
    """Geometries drawn per axis (H and W independently) from small buckets, valid by construction."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        kind = draw(sampled_from(padding_kinds), label="padding_kind")
        (kh, dh, sh, ph, h), (kw, dw, sw, pw, wd) = draw(_axis(kind)), draw(_axis(kind))
        n, c_in, c_out = draw(sampled_from([(1, 1, 1), (2, 1, 2), (1, 2, 1)]), label="n_cin_cout")
        padding = (ph, pw) if kind == "explicit" else kind
        g = Geometry((n, c_in, h, wd), (c_out, c_in, kh, kw), (sh, sw), padding, (dh, dw), 1)
        return _case(g, **_draw_arrays(draw, g, dtype, bias=False, smooth=True))

    return build()


def same_padding_cases(dtype: str) -> st.SearchStrategy[Case]:
    return generated_geometry_cases(dtype, ("same",))


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------


def _check_forward(impl: Impl, case: Case) -> None:
    __tracebackhide__ = True
    geo, b = _geometry(case), _bias_of(case)
    raw = impl.raw("conv2d", case.x, case.w, b, **geo)
    assert_output_dtype("conv2d", raw, impl=impl, what="y")
    want = S.conv2d(case.x, case.w, b, **geo)
    assert_close("conv2d", np.asarray(raw, dtype=np.float64), want, conv2d_bound(case.x, case.w, b, geo, impl.dtype),
                 impl=impl, what="y")


def _check_vjp(impl: Impl, case: Case) -> None:
    __tracebackhide__ = True
    geo, b = _geometry(case), _bias_of(case)
    got = impl("conv2d_vjp", case.x, case.w, b, case.dy, **geo)
    want = S.conv2d_vjp(case.x, case.w, b, case.dy, **geo)
    names = ("dx", "dw", "db")[:len(want)]
    if not isinstance(got, tuple) or len(got) != len(want):
        raise AssertionError(f"conv2d_vjp({impl.id}) returned {len(got) if isinstance(got, tuple) else 1} "
                             f"arrays, but should return {len(want)} ({', '.join(names)})")
    for g, wv, bound, name in zip(got, want, conv2d_vjp_bounds(case.x, case.w, b, case.dy, geo, impl.dtype),
                                      names):
        assert_close("conv2d_vjp", g, wv, bound, impl=impl, what=name)


@prop("conv2d", cases=conv_cases)
def conv2d_matches_spec(impl: Impl, case: Case) -> None:
    """conv2d(x, w, b) = b[o] + Σ w[o, c, u, v]·x_pad[n, c, i·s + u·d, j·s + v·d] (cross-correlation), in x's dtype."""
    _check_forward(impl, case)


@prop("conv2d", cases=grouped_conv_cases)
def grouped_conv2d_matches_spec(impl: Impl, case: Case) -> None:
    """With groups g, output channel o sums over the C_in/g input channels of its group g(o) only."""
    _check_forward(impl, case)


@prop("conv2d_vjp", cases=conv_vjp_cases)
def conv2d_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The conv2d backward is db = Σ dy, dw = x ⋆ dy (stride-dilated), dx = the transposed convolution of dy."""
    _check_vjp(impl, case)


@prop("conv2d_vjp", cases=grouped_conv_vjp_cases)
def grouped_conv2d_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """With groups g, the backward routes gradients only within each group."""
    _check_vjp(impl, case)


@prop("conv2d_vjp", cases=dilated_conv_vjp_cases)
def dilated_conv2d_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """With dilation d, the backward reads and scatters through the same taps i·s + u·d as the forward."""
    _check_vjp(impl, case)


@prop("conv2d", "conv2d_vjp", cases=smooth_conv_cases, dtypes=("float32", "float64"))
def conv2d_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's conv2d backward agrees with central differences of its own conv2d."""
    geo, b = _geometry(case), _bias_of(case)
    args, diff = [case.x, case.w, b], [0, 1] if b is None else [0, 1, 2]
    check_vjp_against_forward(
        impl, "conv2d", "conv2d_vjp", args, diff, kwargs=geo, seed=case.seed,
        forward_allowed=lambda a, out: _allowed(conv2d_bound(a[0], a[1], a[2], geo), impl.dtype),
    )


@prop("conv2d", cases=generated_geometry_cases, dtypes=("float32",))
def conv2d_output_shape_matches_formula(impl: Impl, case: Case) -> None:
    """Along H and W separately, the output size is ⌊(W + P_before + P_after − d(K − 1) − 1)/S⌋ + 1."""
    geo = _geometry(case)
    y = impl("conv2d", case.x, case.w, None, **geo)
    (n, _, h, wd), (c_out, _, kh, kw) = case.x.shape, case.w.shape
    if geo["padding"] == "same":
        pads = [S.same_padding(size, k, stride=s, dilation=d)
                for size, k, s, d in zip((h, wd), (kh, kw), geo["stride"], geo["dilation"])]
    elif geo["padding"] == "valid":
        pads = [(0, 0), (0, 0)]
    else:
        pads = [S._pad_pair(p) for p in geo["padding"]]
    want = (n, c_out, *(S.conv_output_size(size, k, stride=s, padding=p, dilation=d)
                        for size, k, s, p, d in zip((h, wd), (kh, kw), geo["stride"], pads, geo["dilation"])))
    assert_equal("conv2d", y.shape, want, impl=impl, what="y.shape")


@prop("conv2d", cases=same_padding_cases, dtypes=("float32",))
def conv2d_same_padding_gives_ceil_of_size_over_stride(impl: Impl, case: Case) -> None:
    """padding='same' gives ⌈H/S_h⌉ × ⌈W/S_w⌉ outputs: the input's own size with stride 1."""
    geo = _geometry(case)
    y = impl("conv2d", case.x, case.w, None, **geo)
    (h, wd), (sh, sw) = case.x.shape[2:], geo["stride"]
    assert_equal("conv2d", y.shape[2:], (-(-h // sh), -(-wd // sw)), impl=impl, what="y.shape[2:]")


@prop("conv2d", cases=one_by_one_cases)
def conv1x1_is_a_per_pixel_matmul(impl: Impl, case: Case) -> None:
    """A 1×1 convolution is the matrix product y[n, :, i, j] = W x[n, :, i, j] + b at every pixel."""
    b = _bias_of(case)
    got = impl("conv2d", case.x, case.w, b, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)
    want = S.conv1x1_as_matmul(case.x, case.w, b)
    bound = conv2d_bound(case.x, case.w, b, _geometry(case), impl.dtype)
    assert_close("conv2d", got, want, Bound(bound.scale, bound.budget, "ε·(C_in + 1)·(Σ|W x| + |b|)"), impl=impl,
                 what="y")


@prop("conv2d", cases=grouped_conv_cases)
def grouped_conv2d_is_concatenated_per_group_convs(impl: Impl, case: Case) -> None:
    """conv2d with groups g equals the concatenation over channels of g convolutions, one per group."""
    geo, b = _geometry(case), _bias_of(case)
    g = geo["groups"]
    whole = impl("conv2d", case.x, case.w, b, **geo)
    ci, co = case.x.shape[1] // g, case.w.shape[0] // g
    parts = [impl("conv2d", case.x[:, k * ci:(k + 1) * ci], case.w[k * co:(k + 1) * co],
                  None if b is None else b[k * co:(k + 1) * co], **{**geo, "groups": 1}) for k in range(g)]
    bound = conv2d_bound(case.x, case.w, b, geo, impl.dtype)
    # both sides within ε(K + 1)·scale of the exact value
    assert_close("conv2d", whole, np.concatenate(parts, axis=1),
                 Bound(bound.scale, 2 * np.asarray(bound.budget), "2·ε·(K + 1)·(Σ|w x| + |b|): both sides"),
                 impl=impl, what="y")


@prop("conv2d", cases=biased_conv_cases)
def conv2d_bias_adds_a_per_channel_constant(impl: Impl, case: Case) -> None:
    """conv2d(x, w, b) − conv2d(x, w) = b[o] at every position of output channel o."""
    geo = _geometry(case)
    with_b = impl("conv2d", case.x, case.w, case.b, **geo)
    without = impl("conv2d", case.x, case.w, None, **geo)
    bound = conv2d_bound(case.x, case.w, case.b, geo, impl.dtype)
    # ε(K + 1)·scale for each side, plus one rounding of the float64 difference
    assert_close("conv2d", with_b - without, np.broadcast_to(case.b[None, :, None, None], with_b.shape),
                 Bound(bound.scale, 2 * np.asarray(bound.budget) + 1, "ε·(2K + 3)·(Σ|w x| + |b|)"),
                 impl=impl, what="conv2d(x, w, b) − conv2d(x, w)")


@prop("conv2d", cases=conv_cases)
def conv2d_is_homogeneous_in_x(impl: Impl, case: Case) -> None:
    """conv2d(2^j x, w, 2^j b) = 2^j conv2d(x, w, b), with 2^j taking max Σ|w x| + |b| up to (max/4, max/2]:
    convolution is linear in (x, b), so its value near the dtype's largest number follows from a small one."""
    geo, b = _geometry(case), _bias_of(case)
    scaled = _to_the_maximum({"x": case.x, "w": case.w, **({} if b is None else {"b": b})},
                             Geometry(case.x.shape, case.w.shape, geo["stride"], geo["padding"], geo["dilation"],
                                      geo["groups"]), impl.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        factor = float(np.max(np.abs(scaled["x"]))) / float(np.max(np.abs(case.x))) if np.any(case.x) else 1.0
        exact = np.isfinite(factor) and np.array_equal(scaled["x"], case.x * factor)
    if factor == 1.0 or not exact:
        return  # nothing to scale, or scaling was inexact (subnormals): no exact identity to check
    small = impl("conv2d", case.x, case.w, b, **geo)
    big = impl("conv2d", scaled["x"], case.w, scaled.get("b"), **geo)
    bound = conv2d_bound(case.x, case.w, b, geo, impl.dtype)
    # each side within ε·budget·scale of its exact value (the big side's scale is factor times the small one's)
    assert_close("conv2d", big / factor, small,
                 Bound(bound.scale, 2 * np.asarray(bound.budget), "2·(the conv2d budget): both sides"),
                 impl=impl, what="conv2d(2^j x, w, 2^j b) / 2^j")
