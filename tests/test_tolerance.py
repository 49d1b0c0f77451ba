"""The tolerance model's comparison: budgets, non-finite values, overflow, and the report's units."""

from __future__ import annotations

import numpy as np

from dlspec.dtypes import eps, max_value
from dlspec.properties.tolerance import Bound, compare


def test_an_error_within_budget_passes_and_one_beyond_fails():
    e = eps("float32")
    want = np.array([1.0, 2.0])
    ok = compare(want + np.array([3 * e, 0.0]), want, Bound(scale=np.abs(want), budget=4), "float32")
    bad = compare(want + np.array([5 * e, 0.0]), want, Bound(scale=np.abs(want), budget=4), "float32")
    assert ok.ok and not bad.ok
    assert bad.worst == (0,) and 4.9 < bad.err_eps < 5.1


def test_nan_where_the_reference_is_finite_fails():
    assert not compare(np.array([np.nan]), np.array([1.0]), Bound(scale=1.0, budget=1e9), "float64").ok


def test_non_finite_references_must_be_matched_exactly():
    want = np.array([np.inf, -np.inf, np.nan])
    assert compare(want.copy(), want, Bound(scale=1.0, budget=1.0), "float64").ok
    assert not compare(np.array([np.inf, np.inf, np.nan]), want, Bound(scale=1.0, budget=1.0), "float64").ok


def test_a_reference_beyond_the_dtype_range_accepts_same_signed_overflow_only():
    want = np.array([-1.2e5, 1.2e5])
    assert compare(np.array([-np.inf, max_value("float16")]), want, Bound(scale=0.0, budget=1.0), "float16").ok
    assert not compare(np.array([np.inf, 6.0e4]), want, Bound(scale=0.0, budget=1.0), "float16").ok


def test_results_below_the_smallest_normal_may_be_flushed_to_zero():
    assert compare(np.array([0.0]), np.array([1e-40]), Bound(scale=0.0, budget=1.0), "float32").ok


def test_an_exact_result_passes_a_zero_budget_and_any_error_fails_it():
    assert compare(np.array([1.0]), np.array([1.0]), Bound(scale=1.0, budget=0.0), "float32").ok
    assert not compare(np.array([1.5]), np.array([1.0]), Bound(scale=1.0, budget=0.0), "float32").ok
