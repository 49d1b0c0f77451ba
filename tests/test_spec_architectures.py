"""The architecture walker (spec/architectures.py): published tables reproduced, and validation naming its argument.

The expected values below are documented facts, copied from the sources' tables, not computed by hand:
Szegedy et al. 2015 ("Going deeper with convolutions"), Table 1; He et al. 2016 ("Deep residual learning"),
Table 1; torchvision's ResNet50_Weights.IMAGENET1K_V1 meta (num_params 25,557,032).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dlspec.spec import architectures as A

IMAGE = (3, 224, 224)

# Szegedy et al. 2015, Table 1: (type, output size H×W×C, depth, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5,
# pool proj); None where the table's cell is empty.
GOOGLENET_TABLE = [
    ("convolution 7×7/2", (112, 112, 64), 1, None),
    ("max pool 3×3/2", (56, 56, 64), 0, None),
    ("convolution 3×3/1", (56, 56, 192), 2, None),
    ("max pool 3×3/2", (28, 28, 192), 0, None),
    ("inception (3a)", (28, 28, 256), 2, (64, 96, 128, 16, 32, 32)),
    ("inception (3b)", (28, 28, 480), 2, (128, 128, 192, 32, 96, 64)),
    ("max pool 3×3/2", (14, 14, 480), 0, None),
    ("inception (4a)", (14, 14, 512), 2, (192, 96, 208, 16, 48, 64)),
    ("inception (4b)", (14, 14, 512), 2, (160, 112, 224, 24, 64, 64)),
    ("inception (4c)", (14, 14, 512), 2, (128, 128, 256, 24, 64, 64)),
    ("inception (4d)", (14, 14, 528), 2, (112, 144, 288, 32, 64, 64)),
    ("inception (4e)", (14, 14, 832), 2, (256, 160, 320, 32, 128, 128)),
    ("max pool 3×3/2", (7, 7, 832), 0, None),
    ("inception (5a)", (7, 7, 832), 2, (256, 160, 320, 32, 128, 128)),
    ("inception (5b)", (7, 7, 1024), 2, (384, 192, 384, 48, 128, 128)),
    ("avg pool 7×7/1", (1, 1, 1024), 0, None),
    ("dropout (40%)", (1, 1, 1024), 0, None),
    ("linear", (1, 1, 1000), 1, None),
    ("softmax", (1, 1, 1000), 0, None),
]

# He et al. 2016, Table 1, 50-layer column: output size per stage, and the stage's output channels.
RESNET50_TABLE = [
    ("conv1", (112, 112, 64)),
    ("conv2_x", (56, 56, 256)),
    ("conv3_x", (28, 28, 512)),
    ("conv4_x", (14, 14, 1024)),
    ("conv5_x", (7, 7, 2048)),
    ("average pool", (1, 1, 2048)),
    ("fc", (1, 1, 1000)),
]
RESNET50_PARAMS = 25_557_032  # torchvision, ResNet50_Weights.IMAGENET1K_V1.meta["num_params"]


def _hwc(shape):
    c, h, w = shape
    return h, w, c


def test_googlenet_reproduces_table_1_output_sizes_and_depths():
    rows = A.walk(A.googlenet(), IMAGE)
    assert [(r.name, _hwc(r.shape), r.depth) for r in rows] == [t[:3] for t in GOOGLENET_TABLE]


def test_googlenet_is_22_layers_deep():
    # "The network is 22 layers deep when counting only layers with parameters" (Szegedy et al. 2015, §5)
    assert sum(r.depth for r in A.walk(A.googlenet(), IMAGE)) == 22


def test_googlenet_inception_modules_concatenate_their_branches_to_the_tables_depth():
    # the table's output depth column is #1×1 + #3×3 + #5×5 + pool proj, e.g. 3a: 64 + 128 + 32 + 32 = 256
    for name, (_, _, c_out), _, channels in GOOGLENET_TABLE:
        if channels is None:
            continue
        module = A.inception(*channels, name=name)
        out = A.walk([module], (192, 14, 14))[0].shape  # the input's channels do not change the output depth
        assert out[0] == c_out == channels[0] + channels[2] + channels[4] + channels[5], name


def test_googlenet_needs_ceil_mode_for_the_tables_sizes():
    floor = [dataclasses.replace(layer, ceil_mode=False) if isinstance(layer, A.MaxPool) else layer
             for layer in A.googlenet()]
    last_pool = max(i for i, layer in enumerate(floor) if isinstance(layer, A.MaxPool))
    sizes = [r.shape[1] for r in A.walk(floor[:last_pool + 1], IMAGE) if r.name.startswith("max pool")]
    assert sizes == [55, 27, 13, 6]  # floor((W − 3)/2) + 1 for W = 112, 56, 28, 14: not the table's 56, 28, 14, 7


def test_resnet50_reproduces_table_1_stage_outputs():
    rows = A.walk(A.resnet50(), IMAGE)
    assert [(r.name, _hwc(r.shape)) for r in rows] == RESNET50_TABLE


def test_resnet50_has_torchvisions_parameter_count_and_50_layers():
    rows = A.walk(A.resnet50(), IMAGE)
    assert sum(r.params for r in rows) == RESNET50_PARAMS
    assert sum(r.depth for r in rows) == 50


def test_resnet50_stride_placement_changes_neither_shapes_nor_parameters():
    v1, v15 = A.walk(A.resnet50(stride_on="1x1"), IMAGE), A.walk(A.resnet50(stride_on="3x3"), IMAGE)
    assert [(r.shape, r.params) for r in v1] == [(r.shape, r.params) for r in v15]


def test_walker_parameter_counts_follow_the_layer_formulas():
    # conv: K_h K_w (C_in/g) C_out + C_out; BN: 2C; fc: (C·H·W + 1)·C_out — checked against conv2d_param_count
    from dlspec.spec.conv import conv2d_param_count

    layers = [A.Conv(8, (3, 1), groups=2), A.BatchNorm(), A.Linear(5, bias=False)]
    rows = A.walk(layers, (4, 6, 6))
    assert [r.params for r in rows] == [conv2d_param_count(3, 1, 4, 8, groups=2), 2 * 8, 8 * 4 * 6 * 5]


def test_walker_accepts_numpy_geometry():
    rows = A.walk([A.Conv(8, np.array([3, 1]), p=np.array([1, 0]), s=np.int64(1))], (3, 8, 8))
    assert rows[0].shape == (8, 8, 8)


@pytest.mark.parametrize(("call", "argument", "detail"), [
    (lambda: A.walk([A.Conv(8, 7)], (3, 5, 5)), "layers", "k:"),
    (lambda: A.walk([A.MaxPool(3)], (3, 2, 2)), "layers", "k:"),
    (lambda: A.walk([A.Conv(8, 3, groups=3)], (6, 8, 8)), "layers", "groups:"),
    (lambda: A.walk([A.Concat(((A.Conv(4, 1),), (A.Conv(4, 3),)))], (3, 8, 8)), "layers", "branches:"),
    (lambda: A.walk([A.Residual((A.Conv(8, 1),))], (4, 8, 8)), "layers", "shortcut:"),
    (lambda: A.walk(["conv"], (3, 8, 8)), "layers", "layer:"),
    (lambda: A.walk([A.Conv(8, 3)], (3, 224)), "input_shape", ""),
    (lambda: A.walk([A.Conv(8, 3)], (3, 0, 8)), "input_shape", ""),
    (lambda: A.Conv(0, 3), "c_out", ""),
    (lambda: A.Conv(8, (3, 3, 3)), "k", ""),
    (lambda: A.Conv(8, 3, p=-1), "p", ""),
    (lambda: A.MaxPool(3, s=0), "s", ""),
    (lambda: A.Linear(0), "c_out", ""),
    (lambda: A.Dropout(1.5), "rate", ""),
    (lambda: A.bottleneck(64, 64, stride_on="2x2"), "stride_on", ""),
    (lambda: A.resnet50(0), "num_classes", ""),
])
def test_spec_rejects_bad_arguments_naming_them(call, argument, detail):
    with pytest.raises(ValueError, match=rf"^{argument}:") as info:
        call()
    assert detail in str(info.value)


def test_walker_names_the_path_to_a_bad_nested_layer():
    bad = A.Concat(((A.Conv(4, 1),), (A.Conv(4, 1), A.Conv(4, 9))), name="mixed")
    with pytest.raises(ValueError, match=r"^layers: \[1\] Concat 'mixed' › branch 1 \[1\] Conv: k:"):
        A.walk([A.Conv(8, 3), bad], (3, 5, 5))
