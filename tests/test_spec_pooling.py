"""The spec's pooling family: argument validation (ValueError naming the argument) and its own identities."""

from __future__ import annotations

import numpy as np
import pytest

from dlspec.spec import pooling as S

X = np.arange(20.0).reshape(1, 1, 4, 5)


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: S.max_pool2d(X, kernel=0), "kernel"),
    (lambda: S.max_pool2d(X, kernel=(2, -1)), "kernel"),
    (lambda: S.max_pool2d(X, kernel=(2, 2, 2)), "kernel"),
    (lambda: S.max_pool2d(X, kernel=2, stride=0), "stride"),
    (lambda: S.max_pool2d(X, kernel=2, dilation=(0, 1)), "dilation"),
    (lambda: S.max_pool2d(X, kernel=5), "kernel"),  # a 5-tall window over 4 rows
    (lambda: S.max_pool2d(X, kernel=3, dilation=2), "kernel"),  # dilated span 5 > 4 rows
    (lambda: S.max_pool2d(X, kernel=2, padding=2), "padding"),  # the first window is all padding
    (lambda: S.max_pool2d(X, kernel=2, padding="full"), "padding"),
    (lambda: S.max_pool2d(X, kernel=2, padding=-1), "padding"),
    (lambda: S.max_pool2d(X, kernel=2, padding=((1, 1), (1, 1), (0, 0))), "padding"),
    (lambda: S.avg_pool2d(X, kernel=1, padding=((1, 0), (0, 0))), "padding"),
    (lambda: S.max_pool2d(X[0], kernel=2), "x"),
    (lambda: S.max_pool2d(np.full((1, 1, 2, 2), np.nan), kernel=2), "x"),
    (lambda: S.max_pool2d_vjp(X, np.zeros((1, 1, 3, 3)), kernel=2), "dy"),
    (lambda: S.avg_pool2d_vjp(X, np.zeros((1, 1, 2, 2, 1)), kernel=2), "dy"),
    (lambda: S.max_unpool2d(np.zeros((1, 1, 2, 2)), np.full((1, 1, 2, 2), 20), output_size=(4, 5)), "indices"),
    (lambda: S.max_unpool2d(np.zeros((1, 1, 2, 2)), np.full((1, 1, 2, 2), -1), output_size=(4, 5)), "indices"),
    (lambda: S.max_unpool2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2)), output_size=(4, 5)), "indices"),
    (lambda: S.max_unpool2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 1), int), output_size=(4, 5)), "indices"),
    (lambda: S.max_unpool2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), int), output_size=0), "output_size"),
    (lambda: S.global_avg_pool2d(np.zeros((2, 3))), "x"),
])
def test_spec_rejects_bad_arguments_naming_them(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call()


def test_spec_padding_forms_agree():
    """An int, a (p_h, p_w) pair, explicit pairs and NumPy int arrays (a replayed TOML case) are one geometry."""
    want = S.max_pool2d(X, kernel=(2, 3), stride=1, padding=((1, 1), (1, 1)))
    for padding in (1, (1, 1), np.array([[1, 1], [1, 1]]), np.array([1, 1])):
        np.testing.assert_array_equal(S.max_pool2d(X, kernel=np.array([2, 3]), stride=np.array([1, 1]),
                                                   padding=padding), want)


def test_spec_same_padding_keeps_the_size_at_stride_one():
    for k in (1, 2, 3):
        assert S.avg_pool2d(X, kernel=k, stride=1, padding="same").shape == X.shape


def test_spec_max_pool_ignores_padding_even_for_negative_inputs():
    x = -1.0 - np.arange(9.0).reshape(1, 1, 3, 3)
    y = S.max_pool2d(x, kernel=2, stride=1, padding=1)
    assert y.max() == -1.0 and y[0, 0, 0, 0] == -1.0


def test_spec_ties_go_to_the_first_maximum_in_scan_order():
    x = np.array([[[[0.0, 5.0], [5.0, 5.0]]]])
    y, idx = S.max_pool2d_with_indices(x, kernel=2)
    assert y.item() == 5.0 and idx.item() == 1
    np.testing.assert_array_equal(S.max_pool2d_vjp(x, np.ones((1, 1, 1, 1)), kernel=2), [[[[0, 1], [0, 0]]]])


def test_spec_ceil_mode_drops_a_window_that_would_start_in_the_trailing_padding():
    # H = 5, kernel 2, stride 3, padding (1, 1): ceil((7 − 2)/3) + 1 = 3, but window 2 would start at row 5
    assert S.pool_output_size(5, 2, stride=3, padding=1, ceil_mode=True) == 2
    assert S.max_pool2d(np.zeros((1, 1, 5, 5)), kernel=2, stride=3, padding=1, ceil_mode=True).shape == (1, 1, 2, 2)


def test_spec_count_include_pad_counts_padding_but_not_the_ceil_overhang():
    x = np.ones((1, 1, 3, 3))
    # window (0, 0) covers rows and columns −1..1: 4 input cells, and the 5 padded ones are counted
    assert S.avg_pool2d(x, kernel=3, stride=2, padding=1, count_include_pad=True)[0, 0, 0, 0] == 4 / 9
    # ceil mode: H = 4, kernel 3, stride 2, no padding: window 1 covers rows 2..4, row 4 is past the input
    y = S.avg_pool2d(np.ones((1, 1, 4, 4)), kernel=3, stride=2, ceil_mode=True, count_include_pad=True)
    assert y.shape == (1, 1, 2, 2) and np.all(y == 1.0)


def test_spec_unpool_of_pool_keeps_maxima_in_place():
    y, idx = S.max_pool2d_with_indices(X, kernel=2)
    out = S.max_unpool2d(y, idx, output_size=(4, 5))
    assert out.sum() == y.sum() and np.count_nonzero(out) == y.size


def test_spec_global_average_is_avg_pool_over_the_plane():
    np.testing.assert_allclose(S.global_avg_pool2d(X), S.avg_pool2d(X, kernel=(4, 5)).reshape(1, 1), rtol=1e-15)
