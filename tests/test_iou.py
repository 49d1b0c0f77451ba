"""Mean IoU on every selected implementation (properties in dlspec/properties/iou.py)."""

from dlspec.properties import iou as P
from dlspec.testing import bind

test_mean_iou_matches_spec = bind(P.mean_iou_matches_spec)
test_mean_iou_returns_a_float_scalar = bind(P.mean_iou_returns_a_float_scalar)
test_mean_iou_of_a_perfect_prediction_is_one = bind(P.mean_iou_of_a_perfect_prediction_is_one)
test_mean_iou_lies_in_zero_one = bind(P.mean_iou_lies_in_zero_one)
test_mean_iou_is_invariant_under_a_permutation_of_class_labels = bind(
    P.mean_iou_is_invariant_under_a_permutation_of_class_labels)
test_mean_iou_ignores_an_unused_class = bind(P.mean_iou_ignores_an_unused_class)
test_mean_iou_is_symmetric_in_pred_and_target = bind(P.mean_iou_is_symmetric_in_pred_and_target)
test_mean_iou_ignores_the_elements_whose_target_is_ignore_index = bind(
    P.mean_iou_ignores_the_elements_whose_target_is_ignore_index)
