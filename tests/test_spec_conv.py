"""The spec's conv family: argument validation (ValueError naming the argument) and its own identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlspec.spec import conv as S

X, W = np.zeros((1, 2, 4, 4)), np.zeros((2, 2, 3, 3))


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: S.conv2d(X, W, groups=3), "groups"),
    (lambda: S.conv2d(X, np.zeros((3, 1, 3, 3)), groups=2), "groups"),
    (lambda: S.conv2d(X, np.zeros((2, 1, 3, 3))), "w"),
    (lambda: S.conv2d(X, np.zeros((2, 2, 5, 3))), "w"),
    (lambda: S.conv2d(X, np.zeros((2, 2, 3, 3)), dilation=2), "w"),
    (lambda: S.conv2d(X, W, stride=0), "stride"),
    (lambda: S.conv2d(X, W, stride=(1, 2, 3)), "stride"),
    (lambda: S.conv2d(X, W, dilation=(1, 0)), "dilation"),
    (lambda: S.conv2d(X, W, padding="full"), "padding"),
    (lambda: S.conv2d(X, W, padding=-1), "padding"),
    (lambda: S.conv2d(X, W, padding=((1, 2, 3), (0, 0))), "padding"),
    (lambda: S.conv2d(X, W, np.zeros(3)), "b"),
    (lambda: S.conv2d(np.zeros((2, 4, 4)), W), "x"),
    (lambda: S.conv2d(X, np.full((2, 2, 3, 3), np.nan)), "w"),
    (lambda: S.conv2d_vjp(X, W, None, np.zeros((1, 2, 4, 4))), "dy"),
    (lambda: S.conv2d_output_shape((1, 2, 4), (2, 2, 3, 3)), "x_shape"),
    (lambda: S.conv2d_output_shape((1, 2, 4, 4), (2, 2, 0, 3)), "w_shape"),
    (lambda: S.conv1x1_as_matmul(X, W), "w"),
    (lambda: S.conv1x1_as_matmul(X, np.zeros((3, 5))), "w"),
    (lambda: S.conv_output_size(4, 3, stride=0), "stride"),
    (lambda: S.conv_output_size(2, 3), "k"),
    (lambda: S.same_padding(4, 3, dilation=0), "dilation"),
    (lambda: S.conv2d_param_count(3, 3, 4, 6, groups=4), "groups"),
])
def test_spec_rejects_bad_arguments_naming_them(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call()


@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(1, 3))
def test_spec_same_padding_is_the_least_padding_giving_ceil_outputs_with_the_extra_cell_after(n, k, s, d):
    before, after = S.same_padding(n, k, stride=s, dilation=d)
    assert 0 <= after - before <= 1
    assert S.conv_output_size(n, k, stride=s, padding=(before, after), dilation=d) == -(-n // s)
    total = before + after
    if total:  # one cell less padding would lose an output position
        assert (n + total - 1 - d * (k - 1) - 1) // s + 1 < -(-n // s) or n + total - 1 < d * (k - 1) + 1


def test_spec_conv_output_size_examples_from_dumoulin_and_visin():
    # relationship 1 (no padding, unit stride): 4×4 input, 3×3 kernel → 2; relationship 6: 5, 3, P = 1, S = 2 → 3;
    # relationship 15: 7, 3, d = 2 → 3
    assert S.conv_output_size(4, 3) == 2
    assert S.conv_output_size(5, 3, stride=2, padding=1) == 3
    assert S.conv_output_size(7, 3, dilation=2) == 3


def test_spec_conv2d_with_a_delta_kernel_shifts_the_input():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, 5, 6))
    w = np.zeros((1, 1, 3, 3))
    w[0, 0, 2, 0] = 1.0  # reads x_pad[i + 2, j + 0]: cross-correlation, no flip
    np.testing.assert_array_equal(S.conv2d(x, w), x[:, :, 2:, :4])


def test_spec_conv2d_grouped_is_the_concatenation_of_per_group_convs_and_1x1_is_a_matmul():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((6, 2, 2, 3)), rng.standard_normal(6)
    geo = {"stride": (2, 1), "padding": "same", "dilation": (1, 2)}
    y = S.conv2d(x, w, b, groups=2, **geo)
    parts = [S.conv2d(x[:, 2 * g:2 * g + 2], w[3 * g:3 * g + 3], b[3 * g:3 * g + 3], **geo) for g in range(2)]
    np.testing.assert_array_equal(y, np.concatenate(parts, axis=1))
    assert y.shape == S.conv2d_output_shape(x.shape, w.shape, groups=2, **geo) == (2, 6, 3, 5)
    w1 = rng.standard_normal((3, 4, 1, 1))
    np.testing.assert_allclose(S.conv2d(x, w1, b[:3]), S.conv1x1_as_matmul(x, w1, b[:3]), rtol=1e-14, atol=1e-14)


def test_spec_padding_spellings_agree():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 1, 4, 5)), rng.standard_normal((1, 1, 3, 3))
    y = S.conv2d(x, w, padding=((1, 1), (1, 1)))
    for p in (1, (1, 1), np.array([1, 1]), np.array([[1, 1], [1, 1]]), "same"):
        np.testing.assert_array_equal(S.conv2d(x, w, padding=p), y)
    np.testing.assert_array_equal(S.conv2d(x, w, padding="valid"), S.conv2d(x, w))


def test_spec_conv2d_vjp_without_bias_returns_two_gradients_and_param_count_counts_w_and_b():
    x, w = np.ones((1, 2, 3, 3)), np.ones((4, 1, 2, 2))
    assert len(S.conv2d_vjp(x, w, None, np.ones((1, 4, 2, 2)), groups=2)) == 2
    assert S.conv2d_param_count(2, 2, 2, 4, groups=2) == w.size + 4
