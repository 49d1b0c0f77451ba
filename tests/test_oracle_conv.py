"""The spec's conv2d against the mpmath direct sum at 50 digits, and its backward against high-precision
central differences, within the error models the backends get (properties/conv.py) evaluated for float64."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dlspec.oracles import conv as O
from dlspec.oracles import finite_diff
from dlspec.properties import conv as P
from dlspec.properties.tolerance import compare
from dlspec.spec import conv as S

# (x shape, w shape, stride, explicit padding, dilation, groups): small, since mpmath costs ~16 µs a term
SMALL = [
    ((1, 1, 3, 3), (1, 1, 2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    ((1, 2, 4, 3), (2, 2, 2, 3), (2, 1), ((1, 0), (0, 2)), (1, 1), 1),
    ((2, 2, 4, 4), (2, 1, 2, 2), (1, 2), ((1, 1), (0, 1)), (2, 1), 2),
    ((1, 3, 3, 4), (3, 1, 1, 2), (1, 1), ((0, 0), (0, 0)), (1, 2), 3),
]


@st.composite
def conv_inputs(draw: st.DrawFn):
    xs, ws, stride, pads, dilation, groups = draw(st.sampled_from(SMALL))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = 10.0 ** draw(st.integers(-3, 4))
    x = rng.standard_normal(xs) * scale
    w = rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) * scale if draw(st.booleans()) else None
    geo = {"stride": stride, "padding": pads, "dilation": dilation, "groups": groups}
    return x, w, b, geo


def _assert_within(got, want, bound, what):
    c = compare(got, want, bound, "float64")
    assert c.ok, f"{what}{list(c.worst)}={c.got!r}, oracle {c.want!r} ± {c.allowed:.3g} ({c.err_eps:.3g} ε)"


@given(conv_inputs())
def test_spec_conv2d_matches_oracle(case):
    x, w, b, geo = case
    want = O.conv2d(x, w, b, stride=geo["stride"], pads=geo["padding"], dilation=geo["dilation"],
                    groups=geo["groups"])
    _assert_within(S.conv2d(x, w, b, **geo), want, P.conv2d_bound(x, w, b, geo), "conv2d")


@given(conv_inputs(), st.integers(0, 2**32 - 1))
def test_spec_conv2d_vjp_matches_finite_differences(case, seed):
    x, w, b, geo = case
    dy = np.random.default_rng(seed).standard_normal(S.conv2d_output_shape(x.shape, w.shape, **geo))
    arrays = [x, w] if b is None else [x, w, b]
    sizes = np.cumsum([a.size for a in arrays])[:-1]

    def inner_product(flat: list) -> mpmath.mpf:  # ⟨dy, conv2d(x, w, b)⟩ at 50 digits
        parts = np.split(np.array(flat, dtype=object), sizes)
        out, _ = O.conv2d_mp(list(parts[0]), list(parts[1]), None if b is None else list(parts[2]), x.shape,
                             w.shape, stride=geo["stride"], pads=geo["padding"], dilation=geo["dilation"],
                             groups=geo["groups"])
        return mpmath.fsum(mpmath.mpf(float(d)) * v for d, v in zip(dy.ravel(), out))

    grad = finite_diff.gradient(inner_product, np.concatenate([a.ravel() for a in arrays]))
    want = [g.reshape(a.shape) for g, a in zip(np.split(grad, sizes), arrays)]
    got = S.conv2d_vjp(x, w, b, dy, **geo)
    for name, g, wv, bound in zip(("dx", "dw", "db"), got, want, P.conv2d_vjp_bounds(x, w, b, dy, geo)):
        _assert_within(g, wv, bound, name)
