"""2-D convolution on every selected implementation (properties in dlspec/properties/conv.py)."""

from dlspec.properties import conv as P
from dlspec.testing import bind

test_conv2d_matches_spec = bind(P.conv2d_matches_spec)
test_grouped_conv2d_matches_spec = bind(P.grouped_conv2d_matches_spec)
test_conv2d_vjp_matches_spec = bind(P.conv2d_vjp_matches_spec)
test_grouped_conv2d_vjp_matches_spec = bind(P.grouped_conv2d_vjp_matches_spec)
test_dilated_conv2d_vjp_matches_spec = bind(P.dilated_conv2d_vjp_matches_spec)
test_conv2d_vjp_agrees_with_own_forward = bind(P.conv2d_vjp_agrees_with_own_forward)
test_conv2d_output_shape_matches_formula = bind(P.conv2d_output_shape_matches_formula)
test_conv2d_same_padding_gives_ceil_of_size_over_stride = bind(P.conv2d_same_padding_gives_ceil_of_size_over_stride)
test_conv1x1_is_a_per_pixel_matmul = bind(P.conv1x1_is_a_per_pixel_matmul)
test_grouped_conv2d_is_concatenated_per_group_convs = bind(P.grouped_conv2d_is_concatenated_per_group_convs)
test_conv2d_bias_adds_a_per_channel_constant = bind(P.conv2d_bias_adds_a_per_channel_constant)
test_conv2d_is_homogeneous_in_x = bind(P.conv2d_is_homogeneous_in_x)
