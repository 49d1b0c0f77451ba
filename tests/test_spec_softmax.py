"""The spec's softmax family: argument validation (ValueError naming the argument) and its own identities."""

from __future__ import annotations

import numpy as np
import pytest

from dlspec.spec import softmax as S


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: S.softmax(np.zeros((2, 3)), axis=2), "axis"),
    (lambda: S.softmax(np.array([1.0, np.nan])), "x"),
    (lambda: S.log_softmax(np.array([np.inf, 0.0])), "x"),
    (lambda: S.softmax_jacobian(np.zeros((2, 2))), "x"),
    (lambda: S.softmax_vjp(np.zeros((2, 3)), np.zeros((3, 2))), "dy"),
    (lambda: S.log_softmax_vjp(np.zeros(3), np.zeros(3), axis=1.5), "axis"),
])
def test_spec_rejects_bad_arguments_naming_them(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call()


def test_spec_softmax_of_equal_logits_is_uniform():
    np.testing.assert_array_equal(S.softmax(np.full((2, 4), 3.5)), np.full((2, 4), 0.25))


def test_spec_log_softmax_stays_finite_where_softmax_underflows():
    x = np.array([0.0, -1000.0])
    assert S.softmax(x)[1] == 0.0
    assert S.log_softmax(x)[1] == -1000.0
