"""The spec's sigmoid family against mpmath at 50 digits, within the same error models the backends get
(properties/sigmoid.py) evaluated for float64; its gradients against high-precision central differences."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dlspec.dtypes import round_to
from dlspec.oracles import finite_diff
from dlspec.oracles import sigmoid as O
from dlspec.properties import sigmoid as P
from dlspec.properties.tolerance import compare
from dlspec.spec import sigmoid as S

SMALL = [(1,), (3,), (2, 2)]


@st.composite
def logits(draw: st.DrawFn, *, scale: tuple[int, int] = (-3, 3)) -> np.ndarray:
    shape = draw(st.sampled_from(SMALL))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return round_to(rng.standard_normal(shape) * 10.0 ** draw(st.integers(*scale)), "float64")


@st.composite
def labels_like(draw: st.DrawFn, x: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return draw(st.sampled_from([np.round(rng.random(x.shape)), rng.random(x.shape)]))


def _assert_within(got, want, bound, what):
    c = compare(got, want, bound, "float64")
    assert c.ok, f"{what}{list(c.worst)}={c.got!r}, oracle {c.want!r} ± {c.allowed:.3g} ({c.err_eps:.3g} ε)"


@given(logits())
def test_spec_sigmoid_matches_oracle(x):
    _assert_within(S.sigmoid(x), O.sigmoid(x), P.sigmoid_bound(x), "sigmoid")


@given(st.data(), st.sampled_from(["none", "sum", "mean"]), st.sampled_from([0.0, 0.1, 0.5]))
def test_spec_sigmoid_cross_entropy_matches_oracle(data, reduction, alpha):
    x = data.draw(logits())
    z = data.draw(labels_like(x))
    got = S.sigmoid_cross_entropy(x, z, reduction=reduction, label_smoothing=alpha)
    want = O.sigmoid_cross_entropy(x, z, reduction=reduction, label_smoothing=alpha)
    _assert_within(got, want, P.loss_bound(x, z, reduction, alpha), "sigmoid_cross_entropy")


@given(logits(scale=(-2, 1)), st.integers(0, 2**32 - 1))
def test_spec_sigmoid_vjp_matches_finite_differences(x, seed):
    dy = np.random.default_rng(seed).standard_normal(x.shape)

    def inner_product(flat: list) -> mpmath.mpf:
        return mpmath.fsum(mpmath.mpf(float(d)) * O.sigmoid_mp(v) for d, v in zip(dy.ravel(), flat))

    want = finite_diff.gradient(inner_product, x)
    _assert_within(S.sigmoid_vjp(x, dy), want, P.sigmoid_vjp_bound(x, dy), "sigmoid_vjp")


@given(st.data(), st.sampled_from(["sum", "mean"]), st.sampled_from([0.0, 0.1, 0.5]))
def test_spec_sigmoid_cross_entropy_grad_matches_finite_differences(data, reduction, alpha):
    x = data.draw(logits(scale=(-2, 1)))
    z = data.draw(labels_like(x))

    def loss(flat: list) -> mpmath.mpf:
        a = mpmath.mpf(alpha)
        terms = [O.bce_mp(v, mpmath.mpf(float(zi)) * (1 - a) + a / 2) for v, zi in zip(flat, z.ravel())]
        total = mpmath.fsum(terms)
        return total / len(terms) if reduction == "mean" else total

    want = finite_diff.gradient(loss, x)
    got = S.sigmoid_cross_entropy_grad(x, z, reduction=reduction, label_smoothing=alpha)
    _assert_within(got, want, P.grad_bound(x, z, reduction, alpha), "sigmoid_cross_entropy_grad")


@given(st.data(), st.sampled_from(["none", "sum", "mean"]), st.sampled_from([0.1, 1.0, 3.0, 100.0]))
def test_spec_sigmoid_cross_entropy_with_pos_weight_matches_oracle(data, reduction, q):
    x = data.draw(logits())
    z = data.draw(labels_like(x))
    qs = np.full(x.shape[-1], q)
    got = S.sigmoid_cross_entropy_with_pos_weight(x, z, qs, reduction=reduction)
    want = O.sigmoid_cross_entropy_with_pos_weight(x, z, qs, reduction=reduction)
    _assert_within(got, want, P.pos_weight_loss_bound(x, z, qs, reduction), "sigmoid_cross_entropy_with_pos_weight")
