"""Softmax and log-softmax on every selected implementation (properties in dlspec/properties/softmax.py)."""

from dlspec.properties import softmax as P
from dlspec.testing import bind

test_softmax_matches_spec = bind(P.softmax_matches_spec)
test_log_softmax_matches_spec = bind(P.log_softmax_matches_spec)
test_softmax_is_a_probability_distribution = bind(P.softmax_is_a_probability_distribution)
test_softmax_is_shift_invariant = bind(P.softmax_is_shift_invariant)
test_softmax_vjp_matches_spec = bind(P.softmax_vjp_matches_spec)
test_log_softmax_vjp_matches_spec = bind(P.log_softmax_vjp_matches_spec)
test_softmax_vjp_agrees_with_own_forward = bind(P.softmax_vjp_agrees_with_own_forward)
test_log_softmax_vjp_agrees_with_own_forward = bind(P.log_softmax_vjp_agrees_with_own_forward)
test_softmax_and_log_softmax_keep_shape_and_dtype = bind(P.softmax_and_log_softmax_keep_shape_and_dtype)
