"""Properties of pooling: differential (backend vs spec) per padding convention, tie rules, gradients, unpooling,
and the metamorphic identities of average and global average pooling.

Frameworks support different parts of the geometry space (PyTorch: symmetric padding at most half the window,
ceil mode; TensorFlow: only 'SAME'/'VALID' for average pooling and the arg-max, no ceil mode, no dilation; Flax:
no dilation, no ceil mode). An adapter raises Unsupported for what its API lacks, which skips a whole test item,
so each padding convention has its own property and every backend is audited on the part it supports:
  'valid'/'same' strings (every backend)  ·  explicit symmetric padding  ·  dilation  ·  ceil mode  ·
  ceil mode with padding and dilation together (max pooling)  ·  asymmetric padding.

Reach (shares of the CI profile's 100 examples per property; a rare bucket is drawn ≈ 1 in 10, strategies.rare_gate):
| region | what | share |
|---|---|---|
| small geometries | H, W 2–9, K 1×3 … 4×3, strides 1–3, N, C 1–2, each padding convention | ≈ 9/10 |
| long rows, windows | W = 65, 129 (outputs past 16/32/64 lanes); 2×33 windows (K = 66); 17 channels | ≈ 1/10 |
| ceil mode | partial last windows; a window starting in the trailing padding, dropped | the ceil kinds |
| ceil + pad + dilation | windows starting in the leading padding, dilated taps past the input (max) | its own kind |
| magnitudes | N(0,1)·10^k, offsets up to ±1000·10^k, ties, tiny, signed zeros; avg |x| <= max/(2K) | ≈ 9/10 |
| near the maximum | float16 values in [max/2, max]: sums past 65504, the mean representable | global ≈ 1/10 |
| global planes | H·W = 1, 6, 16, 35; rarely 297, 1025, 4160 (one long reduced axis) | 9/10, 1/10 |
avg_pool2d near the maximum has its own property (avg_pool2d_of_values_near_the_maximum_is_finite, float16).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..dtypes import eps, max_value, round_to, tiny
from ..spec import pooling as S
from .assertions import assert_close, assert_equal
from .gradients import check_vjp_against_forward
from .harness import Case, Impl, prop
from .strategies import float_arrays, integers, rare_buckets, rare_gate, sampled_from, seeds
from .tolerance import Bound, summation
from .tolerance import allowed as _allowed

# ---------------------------------------------------------------------------------------------------------
# Error models (see properties/tolerance.py for the method)
#
# max pooling is a selection: no rounding, the result is one of the inputs. Bound: exact, up to `tiny` (a flushed
#   subnormal). The same for the arg-max (assert_equal) and for unpooling (a scatter of values).
# max-pool backward: dx_h = Σ of the dy routed to cell h, at most c = ⌈K_h/S_h⌉·⌈K_w/S_w⌉ terms (the windows that
#   overlap one cell): (c − 1) roundings relative to Σ|dy| routed there, i.e. scale max_pool2d_vjp(|dy|).
# average pooling: y = (Σ_window x) / D, a sum of at most K = K_h·K_w terms ((K − 1) roundings relative to Σ|x|)
#   and a division — or a multiplication by a rounded 1/D, 2 roundings: budget (K − 1) + 2, scale avg(|x|).
# average backward: dx_h = Σ_windows dy/D: each quotient 2 roundings, then c terms: budget (c − 1) + 2,
#   scale avg_pool2d_vjp(|dy|).
# global average: (HW − 1) + 2 relative to mean|x|.
# float16/bfloat16, tightened (issue 10: the bounds above accept a float16 accumulator, which stalls a running sum
#   at 2048 and overflows past 65504 — candle#3719, MIOpen#2109, Paddle-Lite#9770): the field sums low-precision
#   windows and planes in float32 (torch CPU's acc_type, XLA's reduce precision, NumPy with dtype=). The values
#   are exact in float32, the float32 sum errs by ε_32·(n − 1)·Σ|x|, the division (or the product by a rounded
#   1/D) by ε_32·2, and rounding to the dtype by ε·|y|; a kernel that rounds the float32 sum to the dtype before
#   dividing there adds one more ε. Budget: 2 + (n + 1)·ε_32/ε relative to avg|x|, n = K (window) or H·W
#   (plane). A float16 accumulator errs by up to ε·(n − 1)/2 relative: rejected once n is past ~8 with the offset
#   data here, always for the long windows and planes of the rare buckets.
#   Not tightened: the backward passes (max-pool and average-pool scatter-adds accumulate in the dtype in the
#   field: torch's CPU kernels add dy into a dtype-typed dx; c <= 4 overlapping windows here).
# ---------------------------------------------------------------------------------------------------------

LOW_PRECISION = ("float16", "bfloat16")


def _float32_sum(n: int, dtype: str | None) -> Any:
    """Roundings of a low-precision sum of n terms accumulated in float32, in ε of `dtype`; else summation."""
    if dtype in LOW_PRECISION:
        return 2 + (n + 1) * eps("float32") / eps(dtype)
    return summation(n) + 2

EXACT = Bound(scale=0.0, budget=1.0, derivation="a selection is exact")


def _overlap(kernel: tuple[int, int], stride: tuple[int, int]) -> int:
    """c: at most ⌈K/S⌉ windows along each axis overlap one input cell."""
    return -(-kernel[0] // stride[0]) * -(-kernel[1] // stride[1])


def max_pool_vjp_bound(x: np.ndarray, dy: np.ndarray, g: dict[str, Any]) -> Bound:
    scale = S.max_pool2d_vjp(x, np.abs(dy), **g)
    return Bound(scale=scale, budget=summation(_overlap(g["kernel"], _stride(g))) + 1,
                 derivation="ε(c − 1)·Σ|dy| routed to the cell, c windows overlap one cell")


def avg_pool_bound(x: np.ndarray, g: dict[str, Any], dtype: str | None = None) -> Bound:
    k = g["kernel"]
    if dtype in LOW_PRECISION:
        return Bound(scale=S.avg_pool2d(np.abs(x), **g), budget=_float32_sum(k[0] * k[1], dtype),
                     derivation="ε(2 + (K + 1)·ε_32/ε)·avg(|x|): a float32 sum and division, rounded to the dtype")
    return Bound(scale=S.avg_pool2d(np.abs(x), **g), budget=summation(k[0] * k[1]) + 2,
                 derivation="ε((K − 1) + 2)·avg(|x|): a sum of K terms and a division")


def avg_pool_vjp_bound(x: np.ndarray, dy: np.ndarray, g: dict[str, Any]) -> Bound:
    return Bound(scale=S.avg_pool2d_vjp(x, np.abs(dy), **g), budget=summation(_overlap(g["kernel"], _stride(g))) + 2,
                 derivation="ε((c − 1) + 2)·Σ|dy|/D over the c windows that hold the cell")


def global_avg_bound(x: np.ndarray, dtype: str | None = None) -> Bound:
    if dtype in LOW_PRECISION:
        return Bound(scale=np.abs(x).mean(axis=(2, 3)), budget=_float32_sum(x.shape[2] * x.shape[3], dtype),
                     derivation="ε(2 + (HW + 1)·ε_32/ε)·mean|x|: a float32 sum and division, rounded to the dtype")
    return Bound(scale=np.abs(x).mean(axis=(2, 3)), budget=summation(x.shape[2] * x.shape[3]) + 2,
                 derivation="ε((HW − 1) + 2)·mean|x|")


def _stride(g: dict[str, Any]) -> tuple[int, int]:
    return g["kernel"] if g.get("stride") is None else g["stride"]


# ---------------------------------------------------------------------------------------------------------
# Geometry buckets: (N, C, H, W), kernel, stride, padding, dilation — fixed, few, smallest first (JAX compiles
# once per shape and geometry). Valid by construction: checked against the spec at import.
# ---------------------------------------------------------------------------------------------------------

GEOMETRIES: dict[str, list[tuple]] = {
    # 'valid' and 'same' strings, floor mode, no dilation; every 'same' here splits symmetrically (PyTorch can
    # take it as explicit padding) — asymmetric 'same' is in "asymmetric".
    "strings": [
        ((1, 1, 2, 2), (2, 2), None, "valid", (1, 1)),
        ((1, 2, 4, 5), (3, 3), (1, 1), "same", (1, 1)),
        ((2, 1, 5, 4), (2, 2), (2, 2), "valid", (1, 1)),
        ((2, 2, 7, 6), (3, 3), (2, 1), "same", (1, 1)),
        ((1, 1, 5, 8), (1, 3), (1, 2), "valid", (1, 1)),
        ((2, 1, 3, 3), (3, 3), None, "same", (1, 1)),
    ],
    # explicit symmetric padding, at most half the window (PyTorch's limit), floor mode
    "explicit": [
        ((1, 1, 3, 3), (2, 2), (1, 1), ((1, 1), (1, 1)), (1, 1)),
        ((1, 2, 4, 5), (3, 2), (2, 1), ((1, 1), (0, 0)), (1, 1)),
        ((2, 1, 5, 5), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1)),
        ((2, 2, 4, 6), (2, 3), (2, 2), ((1, 1), (1, 1)), (1, 1)),
        ((1, 1, 6, 3), (4, 3), (3, 1), ((2, 2), (1, 1)), (1, 1)),
    ],
    # dilated windows (max pooling only), symmetric padding at most half the dilated window
    "dilated": [
        ((1, 1, 5, 5), (2, 2), (1, 1), ((0, 0), (0, 0)), (2, 2)),
        ((1, 2, 6, 7), (3, 2), (2, 1), ((1, 1), (1, 1)), (2, 3)),
        ((2, 1, 7, 5), (2, 3), (2, 2), ((1, 1), (1, 1)), (3, 2)),
    ],
    # ceil mode (symmetric padding): each has an axis where ceil adds a window; (2, 1, 5, 6) also has one where
    # the extra window would start in the trailing padding and is dropped
    "ceil": [
        ((1, 1, 3, 3), (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1)),
        ((1, 2, 5, 4), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1)),
        ((2, 1, 5, 6), (2, 3), (3, 2), ((1, 1), (0, 0)), (1, 1)),
        ((2, 2, 4, 7), (3, 2), (2, 3), ((1, 1), (1, 1)), (1, 1)),
    ],
    # ceil mode, padding and dilation together (max pooling): windows that start in the leading padding, a last
    # partial window whose dilated taps run past the input, and a window starting in the trailing padding dropped
    "ceil_dilated": [
        ((1, 1, 5, 6), (2, 2), (3, 2), ((1, 1), (1, 1)), (2, 2)),  # rows: the ceil window would start in padding
        ((1, 2, 6, 7), (3, 2), (2, 3), ((1, 1), (1, 1)), (2, 2)),
        ((2, 1, 7, 6), (2, 3), (3, 2), ((1, 1), (1, 1)), (3, 2)),
    ],
    # asymmetric explicit padding and 'same' with an odd total (the extra cell goes bottom/right), floor mode
    "asymmetric": [
        ((1, 1, 3, 3), (2, 2), (1, 1), ((0, 1), (1, 0)), (1, 1)),
        ((1, 2, 4, 5), (3, 3), (2, 2), ((2, 0), (0, 2)), (1, 1)),
        ((2, 1, 6, 5), (3, 2), (2, 1), "same", (1, 1)),
        ((2, 2, 5, 4), (2, 2), (2, 2), "same", (1, 1)),
    ],
}


RARE_GEOMETRIES: dict[str, list[tuple]] = {
    "strings": [
        ((1, 3, 2, 66), (2, 33), (1, 33), "valid", (1, 1)),         # K = 66: one long window sum
        ((1, 2, 5, 129), (3, 3), (2, 2), "same", (1, 1)),           # a long row: 65 outputs, pads (1, 1)
    ],
    "explicit": [
        ((1, 2, 3, 129), (3, 5), (2, 4), ((1, 1), (2, 2)), (1, 1)),  # 33 outputs along a long row
    ],
    "dilated": [
        ((1, 2, 5, 65), (2, 3), (2, 2), ((1, 1), (1, 1)), (2, 2)),
    ],
    "ceil": [
        ((1, 1, 3, 65), (2, 4), (2, 4), ((1, 1), (2, 2)), (1, 1)),  # 17 columns, a window dropped in the padding
        ((1, 17, 4, 17), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1)),  # 17 channels, 17 columns
    ],
    "ceil_dilated": [
        ((1, 1, 4, 65), (2, 3), (2, 3), ((1, 1), (1, 1)), (2, 2)),
    ],
    "asymmetric": [
        ((1, 1, 3, 129), (2, 3), (1, 2), "same", (1, 1)),
    ],
}
"""Rare (≈ 1 in 10) buckets per kind, shared by every property of that kind (JAX compiles each shape once): rows
and windows past vector widths (17, 33, 65, 129), where kernels switch to remainder loops."""


def _ceil(kind: str) -> bool:
    return kind.startswith("ceil")


def _check_buckets() -> None:
    for table in (GEOMETRIES, RARE_GEOMETRIES):
        for kind, rows in table.items():
            for shape, kernel, stride, padding, dilation in rows:
                x = np.zeros(shape)
                S.max_pool2d(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                             ceil_mode=_ceil(kind))  # raises if a bucket is invalid


_check_buckets()


def _geometry(case: Case, *, avg: bool = False) -> dict[str, Any]:
    """The case's geometry as plain tuples of ints (a replayed case holds int64 arrays)."""
    padding = case.padding if isinstance(case.padding, str) else tuple(tuple(int(v) for v in p)
                                                                       for p in case.padding)
    g = {"kernel": tuple(int(v) for v in case.kernel),
         "stride": None if case.stride is None else tuple(int(v) for v in case.stride),
         "padding": padding, "ceil_mode": bool(case.ceil_mode)}
    if avg:
        g["count_include_pad"] = bool(case.count_include_pad)
    else:
        g["dilation"] = tuple(int(v) for v in case.dilation)
    return g


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

def _distinct(draw: st.DrawFn, shape: tuple[int, ...], span: tuple[int, int]) -> np.ndarray:
    """Distinct values within every window: a permutation of integers, shifted (all-negative when the shift is n)
    and scaled by 2^k — exact in every dtype for up to 256 elements. Larger planes (the rare long rows) tile a
    permutation of span_h·span_w <= 256 integers with periods span_h × span_w, the dilated window's extent: the
    cells of one window fall on distinct tile positions, so each window still has one maximum."""
    n = int(np.prod(shape))
    rng = np.random.default_rng(draw(seeds(), label="seed"))
    k = draw(integers(-4, 4), label="exponent")
    if n <= 256:
        shift = draw(sampled_from([0, n // 2, n]), label="shift")
        return ((rng.permutation(n) - shift) * 2.0**k).reshape(shape)
    a, b = span
    shift = draw(sampled_from([0, a * b // 2, a * b]), label="shift")
    N, C, H, W = shape
    levels = np.stack([rng.permutation(a * b) for _ in range(N * C)]).reshape(N, C, a * b) - shift
    tile = (np.arange(H)[:, None] % a) * b + np.arange(W)[None, :] % b
    return levels[:, :, tile] * 2.0**k


def _window_distinct(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """Smooth data for finite differences: within any window of at most 3×3 consecutive cells the values differ
    by ≥ 0.15 (levels of a 3×3 tiling, ±0.05 jitter), far beyond the central difference's step
    (≤ 5.5·ε^{1/3} ≈ 0.027 for float32), so no perturbation crosses a max-pool kink."""
    rng = np.random.default_rng(draw(seeds(), label="seed"))
    N, C, H, W = shape
    levels = np.stack([rng.permutation(9) for _ in range(N * C)]).reshape(N, C, 9) / 4.0 - 1.0
    tile = (np.arange(H)[:, None] % 3) * 3 + np.arange(W)[None, :] % 3
    return levels[:, :, tile] + rng.uniform(-0.05, 0.05, shape)


@lru_cache
def pool_cases(dtype: str, kind: str, values: str = "any", avg: bool = False,
               count_include_pad: bool | None = None) -> st.SearchStrategy[Case]:
    """x in a geometry bucket of `kind`; values "any" (extremes, offsets, ties), "distinct", "ties" or "smooth";
    with `avg`, count_include_pad drawn (or fixed), and a cotangent dy and a seed for gradients."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        rows = RARE_GEOMETRIES.get(kind) if values != "smooth" else None
        shape, kernel, stride, padding, dilation = draw(
            rare_buckets(GEOMETRIES[kind], rows) if rows else sampled_from(GEOMETRIES[kind]), label="geometry")
        if values == "distinct":
            x = _distinct(draw, shape, tuple(d * (kk - 1) + 1 for kk, d in zip(kernel, dilation)))
        elif values == "smooth":
            x = round_to(_window_distinct(draw, shape), dtype)
        elif values == "ties":
            x = draw(float_arrays(shape, dtype, specials=("ties",)), label="x")
        else:
            x = draw(float_arrays(shape, dtype, offset=True), label="x")
        if avg and values == "any":
            # sums in the input dtype stay finite: |x| <= max/(2 K_h K_w), the factor 2 absorbing the rounding of
            # partial sums (overflow near the maximum is its own property)
            lim = round_to(max_value(dtype) / (2 * kernel[0] * kernel[1]), dtype)
            x = np.clip(x, -lim, lim)
        fields: dict[str, Any] = {"x": x, "kernel": kernel, "stride": stride, "padding": padding,
                                  "ceil_mode": _ceil(kind)}
        if avg:
            cip = draw(st.booleans(), label="count_include_pad") if count_include_pad is None else count_include_pad
            fields["count_include_pad"] = cip
            out = S.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=_ceil(kind)).shape
        else:
            fields["dilation"] = dilation
            out = S.max_pool2d(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                               ceil_mode=_ceil(kind)).shape
        fields["dy"] = draw(float_arrays(out, dtype, exponents=(0, 0), specials=()), label="dy")
        fields["seed"] = draw(seeds(), label="seed")
        return Case(**fields)

    return build()


def _cases(kind: str, values: str = "any", avg: bool = False, count_include_pad: bool | None = None):
    return lambda dtype: pool_cases(dtype, kind, values, avg, count_include_pad)


GLOBAL_SHAPES = [(1, 1, 1, 1), (1, 2, 2, 3), (2, 3, 4, 4), (2, 1, 7, 5)]
RARE_GLOBAL_SHAPES = [(1, 17, 9, 33), (1, 2, 1, 1025), (1, 1, 64, 65)]
"""Rare planes: H·W = 297, 1025, 4160 — one long reduced axis each, past vector widths and reduction blocks."""


@lru_cache
def global_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Planes of GLOBAL_SHAPES (rarely RARE_GLOBAL_SHAPES) with offset data, sums kept finite; rarely (≈ 1 in 10)
    values near the maximum instead: float16 values in [max/2, max] (the plane's sum overflows float16 while its
    mean is representable), other dtypes' values in [max/2n, max/n] (the sum reaches the maximum, n = H·W)."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(rare_buckets(GLOBAL_SHAPES, RARE_GLOBAL_SHAPES), label="shape")
        if draw(rare_gate(), label="near_max"):
            rng = np.random.default_rng(draw(seeds(), label="seed"))
            sign = draw(sampled_from([1.0, -1.0]), label="sign")
            # float16: the sum passes 65504 while the mean fits (float32 accumulation, the field's, has the range);
            # bfloat16/float32/float64 share their accumulator's range (a wider one is not cheap on accelerators,
            # the field does not use it), so there the sum is taken just up to the maximum: values in [max/2n, max/n]
            top = max_value(dtype) if dtype == "float16" else max_value(dtype) / (shape[2] * shape[3])
            x = round_to(sign * top * rng.uniform(0.5, 1.0, shape), dtype)
            return Case(x=np.clip(x, -max_value(dtype), max_value(dtype)))
        x = draw(float_arrays(shape, dtype, offset=True), label="x")
        lim = round_to(max_value(dtype) / (2 * shape[2] * shape[3]), dtype)  # a plane's sum stays finite
        return Case(x=np.clip(x, -lim, lim))

    return build()


# ---------------------------------------------------------------------------------------------------------
# Differential properties: one per padding convention, so each backend is audited where its API reaches
# ---------------------------------------------------------------------------------------------------------

def _max_matches(kind: str, name: str, doc: str):
    def check(impl: Impl, case: Case) -> None:
        g = _geometry(case)
        assert_close("max_pool2d", impl("max_pool2d", case.x, **g), S.max_pool2d(case.x, **g), EXACT, impl=impl)

    check.__name__, check.__doc__ = name, doc
    return prop("max_pool2d", cases=_cases(kind))(check)


def _avg_matches(kind: str, name: str, doc: str, count_include_pad: bool | None = None):
    def check(impl: Impl, case: Case) -> None:
        g = _geometry(case, avg=True)
        assert_close("avg_pool2d", impl("avg_pool2d", case.x, **g), S.avg_pool2d(case.x, **g),
                     avg_pool_bound(case.x, g, impl.dtype), impl=impl)

    check.__name__, check.__doc__ = name, doc
    return prop("avg_pool2d", cases=_cases(kind, avg=True, count_include_pad=count_include_pad))(check)


def _max_vjp_matches(kind: str, name: str, doc: str):
    def check(impl: Impl, case: Case) -> None:
        g = _geometry(case)
        assert_close("max_pool2d_vjp", impl("max_pool2d_vjp", case.x, case.dy, **g),
                     S.max_pool2d_vjp(case.x, case.dy, **g), max_pool_vjp_bound(case.x, case.dy, g), impl=impl,
                     what="dx")

    check.__name__, check.__doc__ = name, doc
    return prop("max_pool2d_vjp", cases=_cases(kind, "distinct"))(check)


def _avg_vjp_matches(kind: str, name: str, doc: str, count_include_pad: bool | None = None):
    def check(impl: Impl, case: Case) -> None:
        g = _geometry(case, avg=True)
        assert_close("avg_pool2d_vjp", impl("avg_pool2d_vjp", case.x, case.dy, **g),
                     S.avg_pool2d_vjp(case.x, case.dy, **g), avg_pool_vjp_bound(case.x, case.dy, g), impl=impl,
                     what="dx")

    check.__name__, check.__doc__ = name, doc
    return prop("avg_pool2d_vjp", cases=_cases(kind, avg=True, count_include_pad=count_include_pad))(check)


max_pool2d_matches_spec = _max_matches(
    "strings", "max_pool2d_matches_spec",
    "max_pool2d with 'valid'/'same' padding is the maximum of each window, padded cells being −∞.")
max_pool2d_with_explicit_padding_matches_spec = _max_matches(
    "explicit", "max_pool2d_with_explicit_padding_matches_spec",
    "max_pool2d with explicit symmetric padding never selects a padded cell, also when every input is negative.")
max_pool2d_with_dilation_matches_spec = _max_matches(
    "dilated", "max_pool2d_with_dilation_matches_spec",
    "max_pool2d with dilation d takes the maximum over the taps iS − P + a·d.")
max_pool2d_in_ceil_mode_matches_spec = _max_matches(
    "ceil", "max_pool2d_in_ceil_mode_matches_spec",
    "max_pool2d in ceil mode adds the last partial window when it starts inside the input or leading padding.")
max_pool2d_in_ceil_mode_with_padding_and_dilation_matches_spec = _max_matches(
    "ceil_dilated", "max_pool2d_in_ceil_mode_with_padding_and_dilation_matches_spec",
    "max_pool2d in ceil mode with padding and dilation: windows may start in the leading padding and run past the "
    "input; one that would start in the trailing padding is dropped.")
max_pool2d_with_asymmetric_padding_matches_spec = _max_matches(
    "asymmetric", "max_pool2d_with_asymmetric_padding_matches_spec",
    "max_pool2d with asymmetric padding (explicit, or 'same' with an odd total) matches the spec.")

avg_pool2d_matches_spec = _avg_matches(
    "strings", "avg_pool2d_matches_spec",
    "avg_pool2d with 'valid'/'same' padding, padding not counted, is the mean of each window's input cells.",
    count_include_pad=False)
avg_pool2d_with_explicit_padding_matches_spec = _avg_matches(
    "explicit", "avg_pool2d_with_explicit_padding_matches_spec",
    "avg_pool2d with explicit padding divides by the window's padded-input cells (count_include_pad) or its "
    "input cells.")
avg_pool2d_in_ceil_mode_matches_spec = _avg_matches(
    "ceil", "avg_pool2d_in_ceil_mode_matches_spec",
    "avg_pool2d in ceil mode never counts the overhang past the padded input, even with count_include_pad.")
avg_pool2d_with_asymmetric_padding_matches_spec = _avg_matches(
    "asymmetric", "avg_pool2d_with_asymmetric_padding_matches_spec",
    "avg_pool2d with asymmetric padding matches the spec, counting padding or not.")

max_pool2d_vjp_matches_spec = _max_vjp_matches(
    "strings", "max_pool2d_vjp_matches_spec",
    "The max-pool backward routes each dy to its window's (unique) maximum; overlapping windows accumulate.")
max_pool2d_vjp_with_explicit_padding_matches_spec = _max_vjp_matches(
    "explicit", "max_pool2d_vjp_with_explicit_padding_matches_spec",
    "The max-pool backward with explicit padding routes nothing to the padding.")
max_pool2d_vjp_in_ceil_mode_with_padding_and_dilation_matches_spec = _max_vjp_matches(
    "ceil_dilated", "max_pool2d_vjp_in_ceil_mode_with_padding_and_dilation_matches_spec",
    "The max-pool backward in ceil mode with padding and dilation routes each dy to its window's dilated arg-max.")
max_pool2d_vjp_in_ceil_mode_matches_spec = _max_vjp_matches(
    "ceil", "max_pool2d_vjp_in_ceil_mode_matches_spec",
    "The max-pool backward in ceil mode routes the partial windows' dy to their maxima.")

avg_pool2d_vjp_matches_spec = _avg_vjp_matches(
    "strings", "avg_pool2d_vjp_matches_spec",
    "The average-pool backward spreads dy/D over each window's input cells ('valid'/'same', padding not counted).",
    count_include_pad=False)
avg_pool2d_vjp_with_explicit_padding_matches_spec = _avg_vjp_matches(
    "explicit", "avg_pool2d_vjp_with_explicit_padding_matches_spec",
    "The average-pool backward with explicit padding uses the forward's divisor, counting padding or not.")
avg_pool2d_vjp_in_ceil_mode_matches_spec = _avg_vjp_matches(
    "ceil", "avg_pool2d_vjp_in_ceil_mode_matches_spec",
    "The average-pool backward in ceil mode uses the forward's divisor for the partial windows.")


@prop("max_pool2d_with_indices", cases=_cases("strings", "distinct"))
def max_pool2d_with_indices_matches_spec(impl: Impl, case: Case) -> None:
    """max_pool2d_with_indices returns the maxima and their flat row-major positions h·W + w in each plane."""
    g = _geometry(case)
    y, idx = impl("max_pool2d_with_indices", case.x, **g)
    want_y, want_idx = S.max_pool2d_with_indices(case.x, **g)
    assert_close("max_pool2d_with_indices", y, want_y, EXACT, impl=impl, what="y")
    assert_equal("max_pool2d_with_indices", idx, want_idx, impl=impl, what="indices")


@prop("max_pool2d_with_indices", cases=_cases("explicit", "distinct"))
def max_pool2d_with_indices_and_explicit_padding_matches_spec(impl: Impl, case: Case) -> None:
    """With explicit padding the indices still count positions in the unpadded plane."""
    g = _geometry(case)
    y, idx = impl("max_pool2d_with_indices", case.x, **g)
    want_y, want_idx = S.max_pool2d_with_indices(case.x, **g)
    assert_close("max_pool2d_with_indices", y, want_y, EXACT, impl=impl, what="y")
    assert_equal("max_pool2d_with_indices", idx, want_idx, impl=impl, what="indices")


@prop("max_pool2d_with_indices", cases=_cases("ceil_dilated", "distinct"))
def max_pool2d_with_indices_in_ceil_mode_with_dilation_matches_spec(impl: Impl, case: Case) -> None:
    """With dilation, padding and ceil mode, the indices are the flat positions of the dilated taps' maxima."""
    g = _geometry(case)
    y, idx = impl("max_pool2d_with_indices", case.x, **g)
    want_y, want_idx = S.max_pool2d_with_indices(case.x, **g)
    assert_close("max_pool2d_with_indices", y, want_y, EXACT, impl=impl, what="y")
    assert_equal("max_pool2d_with_indices", idx, want_idx, impl=impl, what="indices")


@prop("max_unpool2d", cases=_cases("strings", "distinct"))
def max_unpool2d_matches_spec(impl: Impl, case: Case) -> None:
    """max_unpool2d puts y[n, c, i, j] at flat position indices[n, c, i, j] of a zero (H, W) plane."""
    y, idx = S.max_pool2d_with_indices(case.x, **_geometry(case))
    size = case.x.shape[2:]
    assert_close("max_unpool2d", impl("max_unpool2d", y, idx, output_size=size),
                 S.max_unpool2d(y, idx, output_size=size), EXACT, impl=impl)


@prop("global_avg_pool2d", cases=global_cases)
def global_avg_pool2d_matches_spec(impl: Impl, case: Case) -> None:
    """global_avg_pool2d(x)[n, c] is the mean of the H·W plane (Lin et al. 2014)."""
    assert_close("global_avg_pool2d", impl("global_avg_pool2d", case.x), S.global_avg_pool2d(case.x),
                 global_avg_bound(case.x, impl.dtype), impl=impl)


# ---------------------------------------------------------------------------------------------------------
# Tie rules: the value of max pooling does not depend on them, so they are audited on their own
# ---------------------------------------------------------------------------------------------------------

@prop("max_pool2d_with_indices", cases=_cases("strings", "ties"))
def max_pool2d_indices_pick_the_first_maximum_among_ties(impl: Impl, case: Case) -> None:
    """Among tied maxima, the index is the first in the window's row-major scan order (the spec's tie rule)."""
    g = _geometry(case)
    _, idx = impl("max_pool2d_with_indices", case.x, **g)
    assert_equal("max_pool2d_with_indices", idx, S.max_pool2d_with_indices(case.x, **g)[1], impl=impl,
                 what="indices")


@prop("max_pool2d_vjp", cases=_cases("strings", "ties"))
def max_pool2d_vjp_routes_ties_to_the_first_maximum(impl: Impl, case: Case) -> None:
    """Among tied maxima, the backward sends the window's dy to the first in row-major scan order."""
    g = _geometry(case)
    assert_close("max_pool2d_vjp", impl("max_pool2d_vjp", case.x, case.dy, **g),
                 S.max_pool2d_vjp(case.x, case.dy, **g), max_pool_vjp_bound(case.x, case.dy, g), impl=impl,
                 what="dx")


# ---------------------------------------------------------------------------------------------------------
# Metamorphic properties
# ---------------------------------------------------------------------------------------------------------

@prop("max_pool2d", "avg_pool2d", cases=_cases("strings"))
def pooling_output_shape_matches_pool_output_size(impl: Impl, case: Case) -> None:
    """Max and average pooling return (N, C, pool_output_size(H, ...), pool_output_size(W, ...))."""
    g = _geometry(case)
    p = S._padding(g["padding"], case.x.shape[2:], g["kernel"], _stride(g), g["dilation"])
    want = case.x.shape[:2] + tuple(
        S.pool_output_size(case.x.shape[2 + a], g["kernel"][a], stride=_stride(g)[a], padding=p[a],
                           dilation=g["dilation"][a]) for a in (0, 1))
    assert_equal("max_pool2d", np.shape(impl.raw("max_pool2d", case.x, **g)), want, impl=impl, what="out.shape")
    g.pop("dilation")
    assert_equal("avg_pool2d", np.shape(impl.raw("avg_pool2d", case.x, **g)), want, impl=impl, what="out.shape")


@prop("max_pool2d_with_indices", cases=_cases("strings", "ties"))
def max_pool2d_indices_point_at_the_maxima(impl: Impl, case: Case) -> None:
    """x[n, c].flat[indices[n, c, i, j]] == y[n, c, i, j], whatever the tie rule."""
    y, idx = impl("max_pool2d_with_indices", case.x, **_geometry(case))
    N, C, H, W = case.x.shape
    if idx.size and (idx.min() < 0 or idx.max() >= H * W):
        raise AssertionError(f"indices range over [{idx.min()}, {idx.max()}], but should lie in [0, {H * W}) "
                             f"[max_pool2d_with_indices({impl.id})]")
    gathered = np.take_along_axis(case.x.reshape(N, C, H * W), idx.reshape(N, C, -1), axis=-1).reshape(y.shape)
    assert_equal("max_pool2d_with_indices", gathered, y, impl=impl, what="x.flat[indices]")


@prop("max_pool2d_vjp", cases=_cases("strings", "ties"))
def max_pool2d_gradient_lands_on_the_maxima(impl: Impl, case: Case) -> None:
    """The max-pool backward is zero except at cells that are a maximum of a window, and Σdx = Σdy (any tie rule)."""
    g = _geometry(case)
    dx = impl("max_pool2d_vjp", case.x, case.dy, **g)
    is_max = _window_maxima(case.x, g)
    stray = (dx != 0) & ~is_max
    if stray.any():
        at = tuple(int(i) for i in np.argwhere(stray)[0])
        raise AssertionError(f"dx{list(at)}={dx[at]!r} at a cell that is no window's maximum "
                             f"[max_pool2d_vjp({impl.id})]")
    n = case.dy.size
    c = _overlap(g["kernel"], _stride(g))
    bound = Bound(scale=np.abs(case.dy).sum(), budget=summation(c) + 2 * summation(n) + 1,
                  derivation="ε((c − 1) + 2(n − 1))·Σ|dy|: the backend's sums and ours")
    assert_close("max_pool2d_vjp", np.asarray(dx.sum()), np.asarray(case.dy.sum()), bound, impl=impl, what="Σdx")


@prop("max_pool2d_with_indices", "max_unpool2d", cases=_cases("strings", "ties"))
def max_unpool_of_max_pool_puts_the_maxima_in_place(impl: Impl, case: Case) -> None:
    """max_unpool2d(max_pool2d_with_indices(x)) holds each maximum at its arg-max and zeros elsewhere."""
    g = _geometry(case)
    y, idx = impl("max_pool2d_with_indices", case.x, **g)
    out = impl("max_unpool2d", y, idx, output_size=case.x.shape[2:])
    N, C, H, W = case.x.shape
    flat = out.reshape(N, C, H * W)
    picked = np.zeros_like(flat, dtype=bool)
    np.put_along_axis(picked, idx.reshape(N, C, -1), True, axis=-1)
    want = np.where(picked, case.x.reshape(N, C, H * W), 0.0).reshape(out.shape)
    assert_close("max_unpool2d", out, want, EXACT, impl=impl)


@prop("global_avg_pool2d", "avg_pool2d", cases=global_cases)
def global_avg_pool2d_equals_avg_pool2d_over_the_whole_plane(impl: Impl, case: Case) -> None:
    """global_avg_pool2d(x) equals avg_pool2d(x, kernel=(H, W)) reshaped to (N, C)."""
    N, C, H, W = case.x.shape
    g = impl("global_avg_pool2d", case.x)
    a = impl("avg_pool2d", case.x, kernel=(H, W), stride=None, padding="valid", ceil_mode=False,
             count_include_pad=False)
    b = global_avg_bound(case.x, impl.dtype)
    assert_close("global_avg_pool2d", g, a.reshape(N, C), Bound(b.scale, 2 * np.asarray(b.budget), b.derivation),
                 impl=impl, what="global_avg_pool2d(x) vs avg_pool2d")


def _window_maxima(x: np.ndarray, g: dict[str, Any]) -> np.ndarray:
    """Cells equal to the maximum of some window that holds them (every tied maximum counts)."""
    k, s, p, d, out = S._geometry(x, g["kernel"], g["stride"], g["padding"], g["dilation"], g["ceil_mode"])
    win, flat, inside = S._windows(x, k, s, p, d, out, -np.inf)
    hit = (win == win.max(axis=-1, keepdims=True)) & inside  # (N, C, H_out, W_out, taps)
    N, C, H, W = x.shape
    marks = np.zeros((N, C, H * W), dtype=bool)
    cells = np.broadcast_to(flat, win.shape)
    for n in range(N):
        for c in range(C):
            marks[n, c, cells[n, c][hit[n, c]]] = True
    return marks.reshape(x.shape)


def _interior(case: Case, g: dict[str, Any], out: tuple[int, int]) -> np.ndarray:
    """Windows wholly inside the input (no padded cell): their divisor does not depend on count_include_pad."""
    (t, _), (l, _) = S._padding(g["padding"], case.x.shape[2:], g["kernel"], _stride(g), (1, 1))
    s, k = _stride(g), g["kernel"]
    H, W = case.x.shape[2:]
    r0 = np.arange(out[0]) * s[0] - t
    c0 = np.arange(out[1]) * s[1] - l
    return ((r0 >= 0) & (r0 + k[0] <= H))[:, None] & ((c0 >= 0) & (c0 + k[1] <= W))[None, :]


@prop("avg_pool2d", cases=_cases("explicit", avg=True))
def avg_pool2d_counting_padding_or_not_agrees_on_interior_windows(impl: Impl, case: Case) -> None:
    """avg_pool2d with count_include_pad=False equals count_include_pad=True on windows with no padded cell."""
    g = _geometry(case, avg=True)
    with_pad = impl("avg_pool2d", case.x, **{**g, "count_include_pad": True})
    without = impl("avg_pool2d", case.x, **{**g, "count_include_pad": False})
    inner = _interior(case, g, with_pad.shape[2:])
    b = avg_pool_bound(case.x, g, impl.dtype)
    assert_close("avg_pool2d", without[:, :, inner], with_pad[:, :, inner],
                 Bound(np.asarray(b.scale)[:, :, inner], 2 * np.asarray(b.budget), b.derivation), impl=impl,
                 what="interior windows")


@prop("avg_pool2d", cases=_cases("strings", avg=True, count_include_pad=False))
def avg_pool2d_of_a_constant_is_that_constant(impl: Impl, case: Case) -> None:
    """Average pooling of a constant input, padding not counted, is that constant everywhere."""
    g = _geometry(case, avg=True)
    c = case.x.reshape(-1)[0]
    x = np.full_like(case.x, c)
    y = impl("avg_pool2d", x, **g)
    assert_close("avg_pool2d", y, np.full_like(y, c), avg_pool_bound(x, g, impl.dtype), impl=impl,
                 what="avg of a constant")


@lru_cache
def near_max_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Values in [max/2, max] of the dtype: every window's average is finite, its sum is not."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape, kernel, stride, padding, _ = draw(rare_buckets(GEOMETRIES["strings"], RARE_GEOMETRIES["strings"]),
                                                 label="geometry")
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        x = round_to(max_value(dtype) * rng.uniform(0.5, 1.0, shape), dtype)
        return Case(x=np.minimum(x, max_value(dtype)), kernel=kernel, stride=stride, padding=padding,
                    ceil_mode=False, count_include_pad=False)

    return build()


@prop("avg_pool2d", cases=near_max_cases, dtypes=("float16",))
def avg_pool2d_of_values_near_the_maximum_is_finite(impl: Impl, case: Case) -> None:
    """The average of finite float16 values is finite: a window of values near float16's maximum averages without
    overflow (a float32 accumulator, as for any float16 reduction, has the range; bfloat16 and float32 share
    float32's exponent range, so no cheap accumulator would help there and the property does not ask it)."""
    g = _geometry(case, avg=True)
    assert_close("avg_pool2d", impl("avg_pool2d", case.x, **g), S.avg_pool2d(case.x, **g),
                 avg_pool_bound(case.x, g, impl.dtype), impl=impl)


# ---------------------------------------------------------------------------------------------------------
# Gradients against the backend's own forward (float32/float64: central differences need the precision)
# ---------------------------------------------------------------------------------------------------------

@prop("max_pool2d", "max_pool2d_vjp", cases=_cases("strings", "smooth"), dtypes=("float32", "float64"))
def max_pool2d_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's max-pool backward agrees with central differences of its own max_pool2d (ties kept away)."""
    g = _geometry(case)
    check_vjp_against_forward(impl, "max_pool2d", "max_pool2d_vjp", [case.x], [0], kwargs=g, seed=case.seed,
                              forward_allowed=lambda args, out: np.full(np.shape(out), tiny(impl.dtype)))


@prop("avg_pool2d", "avg_pool2d_vjp", cases=_cases("explicit", "smooth", avg=True), dtypes=("float32", "float64"))
def avg_pool2d_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's average-pool backward agrees with central differences of its own avg_pool2d."""
    g = _geometry(case, avg=True)
    check_vjp_against_forward(impl, "avg_pool2d", "avg_pool2d_vjp", [case.x], [0], kwargs=g, seed=case.seed,
                              forward_allowed=lambda args, out: _allowed(avg_pool_bound(args[0], g), impl.dtype))


@prop("avg_pool2d", "avg_pool2d_vjp", cases=_cases("strings", "smooth", avg=True, count_include_pad=False),
      dtypes=("float32", "float64"))
def avg_pool2d_vjp_with_same_padding_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """With 'valid'/'same' padding too, the average-pool backward agrees with its own forward."""
    g = _geometry(case, avg=True)
    check_vjp_against_forward(impl, "avg_pool2d", "avg_pool2d_vjp", [case.x], [0], kwargs=g, seed=case.seed,
                              forward_allowed=lambda args, out: _allowed(avg_pool_bound(args[0], g), impl.dtype))
