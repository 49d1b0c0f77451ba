"""The spec's softmax cross-entropy against mpmath at 50 digits, within the same error models the backends get
(properties/cross_entropy.py) evaluated for float64; its gradients against high-precision central differences."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dlspec.dtypes import round_to
from dlspec.oracles import cross_entropy as O
from dlspec.oracles import finite_diff
from dlspec.properties import cross_entropy as P
from dlspec.properties.tolerance import compare
from dlspec.spec import cross_entropy as S

SMALL = [(1, 1), (1, 3), (2, 4), (3, 2)]


@st.composite
def cases(draw: st.DrawFn, *, scale: tuple[int, int] = (-3, 4)):
    shape = draw(st.sampled_from(SMALL))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    z = round_to(rng.standard_normal(shape) * 10.0 ** draw(st.integers(*scale)), "float64")
    kind = draw(st.sampled_from(["one_hot", "weights"]))
    t = np.eye(shape[1])[rng.integers(0, shape[1], shape[0])] if kind == "one_hot" else 2 * rng.random(shape)
    return z, t, draw(st.sampled_from(["none", "sum", "mean"])), draw(st.sampled_from([0.0, 0.1, 0.5]))


def _assert_within(got, want, bound, what):
    c = compare(got, want, bound, "float64")
    assert c.ok, f"{what}{list(c.worst)}={c.got!r}, oracle {c.want!r} ± {c.allowed:.3g} ({c.err_eps:.3g} ε)"


@given(cases())
def test_spec_softmax_cross_entropy_matches_oracle(case):
    z, t, reduction, alpha = case
    got = S.softmax_cross_entropy(z, t, reduction=reduction, label_smoothing=alpha)
    want = O.softmax_cross_entropy(z, t, reduction=reduction, label_smoothing=alpha)
    _assert_within(got, want, P.loss_bound(z, t, reduction, alpha), "softmax_cross_entropy")


@given(cases())
def test_spec_sparse_softmax_cross_entropy_matches_oracle(case):
    z, _, reduction, alpha = case
    y = np.arange(z.shape[0]) % z.shape[1]
    got = S.sparse_softmax_cross_entropy(z, y, reduction=reduction, label_smoothing=alpha)
    t = np.eye(z.shape[1])[y]
    want = O.softmax_cross_entropy(z, t, reduction=reduction, label_smoothing=alpha)
    _assert_within(got, want, P.loss_bound(z, t, reduction, alpha), "sparse_softmax_cross_entropy")


@given(cases(scale=(-2, 0)), st.sampled_from(["sum", "mean"]))
def test_spec_softmax_cross_entropy_grad_matches_finite_differences(case, reduction):
    z, t, _, alpha = case
    n, c = z.shape

    def loss(flat: list) -> mpmath.mpf:
        rows = [flat[i * c:(i + 1) * c] for i in range(n)]
        labels = [[mpmath.mpf(float(v)) for v in row] for row in t]
        return O.reduce(O.row_losses(rows, labels, mpmath.mpf(alpha)), reduction)

    want = finite_diff.gradient(loss, z)
    got = S.softmax_cross_entropy_grad(z, t, reduction=reduction, label_smoothing=alpha)
    _assert_within(got, want, P.grad_bound(z, t, reduction, alpha), "softmax_cross_entropy_grad")


@given(cases(), st.integers(0, 2**32 - 1), st.sampled_from([-100, 0]))
def test_spec_weighted_sparse_softmax_cross_entropy_matches_oracle(case, seed, ignore_index):
    z, _, reduction, alpha = case
    rng = np.random.default_rng(seed)
    n, c = z.shape
    y = np.where(rng.random(n) < 0.3, ignore_index, rng.integers(0, c, n))
    w = 2 * rng.random(c)
    got = S.weighted_sparse_softmax_cross_entropy(z, y, w, ignore_index=ignore_index, reduction=reduction,
                                                  label_smoothing=alpha)
    want = O.weighted_sparse_softmax_cross_entropy(z, y, w, ignore_index=ignore_index, reduction=reduction,
                                                   label_smoothing=alpha)
    _assert_within(got, want, P.weighted_loss_bound(z, y, w, ignore_index, reduction, alpha),
                   "weighted_sparse_softmax_cross_entropy")
