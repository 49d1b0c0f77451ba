r"""Architecture tables: a layer-table walker giving each layer's output shape and parameter count, and two
published networks written as tables — GoogLeNet and ResNet-50.

Sources: C. Szegedy et al., "Going deeper with convolutions", CVPR 2015, Table 1 (GoogLeNet: patch size/stride,
output size, depth and the inception modules' #1×1 / #3×3 reduce / #3×3 / #5×5 reduce / #5×5 / pool proj);
K. He, X. Zhang, S. Ren, J. Sun, "Deep residual learning for image recognition", CVPR 2016, Table 1 (ResNet-50
stage output sizes and bottleneck blocks) and §3.3 (projection shortcuts, option B); torchvision's
`torchvision.models.googlenet` / `resnet50` for the padding and ceil-mode choices the papers leave implicit and
for the parameter count 25,557,032 of ResNet-50 (torchvision's model documentation, ResNet50_Weights: num_params).

The walker is specification only (`OPS = ()`): it composes the shared size formulas
`spec.conv.conv_output_size`, `spec.pooling.pool_output_size` and `spec.conv.conv2d_param_count`.
Shapes are (C, H, W), channels first, for one image; the papers' tables write H×W×C.

Parameters are the learnable tensors, as torchvision's `sum(p.numel() for p in model.parameters())` counts them:
a convolution's weights (and bias if it has one), batch norm's affine γ and β (2C; the running mean and
variance are buffers, not parameters), a fully connected layer's weights and bias. Pooling has none.
Depth is the number of layers with parameters on the longest path (convolutions and fully connected layers),
as Szegedy et al.'s "depth" column counts them: an inception module has depth 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import _checks
from .conv import conv2d_param_count, conv_output_size
from .pooling import pool_output_size

OPS: tuple[str, ...] = ()

Shape = tuple[int, int, int]
"""(C, H, W) of one image."""


def _pair(value: int | Sequence[int], name: str, *, allow_zero: bool = False) -> tuple[int, int]:
    """An int, or an (h, w) pair of ints (any int sequence, NumPy arrays included), as a pair of Python ints."""
    if hasattr(value, "__len__"):
        if len(value) != 2:
            raise ValueError(f"{name}: expected an int or an (h, w) pair, got {value!r}")
        h, w = (_checks.positive_int(v, name, allow_zero=allow_zero) for v in value)
        return h, w
    v = _checks.positive_int(value, name, allow_zero=allow_zero)
    return v, v


# ---------------------------------------------------------------------------------------------------------
# Layers: records, validated when built. `k` (kernel), `s` (stride), `p` (zero padding on both sides) and
# `d` (dilation) are ints or (h, w) pairs.
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conv:
    """2-D convolution: C_out filters of K_h×K_w over C_in/groups channels (spec.conv.conv2d_param_count)."""

    c_out: int
    k: int | tuple[int, int]
    s: int | tuple[int, int] = 1
    p: int | tuple[int, int] = 0
    d: int | tuple[int, int] = 1
    groups: int = 1
    bias: bool = True
    name: str = ""

    def __post_init__(self) -> None:
        _checks.positive_int(self.c_out, "c_out")
        _pair(self.k, "k")
        _pair(self.s, "s")
        _pair(self.p, "p", allow_zero=True)
        _pair(self.d, "d")
        _checks.positive_int(self.groups, "groups")


@dataclass(frozen=True)
class _Pool:
    """A pooling window; the stride defaults to the kernel size (spec.pooling.pool_output_size)."""

    k: int | tuple[int, int]
    s: int | tuple[int, int] | None = None
    p: int | tuple[int, int] = 0
    ceil_mode: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        _pair(self.k, "k")
        if self.s is not None:
            _pair(self.s, "s")
        _pair(self.p, "p", allow_zero=True)


@dataclass(frozen=True)
class MaxPool(_Pool):
    """Max pooling: no parameters, spec.pooling.pool_output_size along H and W."""


@dataclass(frozen=True)
class AvgPool(_Pool):
    """Average pooling: the same output-size rule as max pooling."""


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalization over the channels: 2C parameters (γ, β)."""

    name: str = ""


@dataclass(frozen=True)
class GlobalAvgPool:
    """Average over all of H×W: (C, H, W) → (C, 1, 1)."""

    name: str = ""


@dataclass(frozen=True)
class Linear:
    """Fully connected layer on the flattened input: C·H·W inputs → (c_out, 1, 1); weights and an optional bias."""

    c_out: int
    bias: bool = True
    name: str = ""

    def __post_init__(self) -> None:
        _checks.positive_int(self.c_out, "c_out")


@dataclass(frozen=True)
class Dropout:
    """Dropout (no parameters, shape unchanged); kept so a table's rows can be reproduced one for one."""

    rate: float = 0.5
    name: str = ""

    def __post_init__(self) -> None:
        _checks.fraction(self.rate, "rate")


@dataclass(frozen=True)
class Softmax:
    """Softmax over the channels (no parameters, shape unchanged)."""

    name: str = ""


@dataclass(frozen=True)
class Sequential:
    """Layers applied in order, shown as one row (a table row that holds several layers, or a stage)."""

    layers: tuple[Layer, ...]
    name: str = ""


@dataclass(frozen=True)
class Concat:
    """Branches applied to the same input, outputs concatenated along the channels (an inception module).

    Every branch must produce the same H×W; C_out = Σ_b C_b. Depth = the deepest branch.
    """

    branches: tuple[tuple[Layer, ...], ...]
    name: str = ""


@dataclass(frozen=True)
class Residual:
    """y = body(x) + shortcut(x) (He et al. 2016, Eq. 1 and 2); an empty shortcut is the identity.

    Body and shortcut must produce the same shape. Depth = the deeper path.
    """

    body: tuple[Layer, ...]
    shortcut: tuple[Layer, ...] = ()
    name: str = ""


Layer = (Conv | MaxPool | AvgPool | BatchNorm | GlobalAvgPool | Linear | Dropout | Softmax | Sequential | Concat
         | Residual)


@dataclass(frozen=True)
class Row:
    """One line of the table: a top-level layer's name, output shape (C, H, W), parameters and depth."""

    name: str
    shape: Shape
    params: int
    depth: int


# ---------------------------------------------------------------------------------------------------------
# The walker
# ---------------------------------------------------------------------------------------------------------


def _step(layer: Layer, shape: Shape) -> tuple[Shape, int, int]:
    """(output shape, parameters, depth) of one layer on an input of `shape`."""
    c, h, w = shape
    if isinstance(layer, Conv):
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (_pair(layer.k, "k"), _pair(layer.s, "s"),
                                                  _pair(layer.p, "p", allow_zero=True), _pair(layer.d, "d"))
        out = (layer.c_out,
               conv_output_size(h, kh, stride=sh, padding=ph, dilation=dh),
               conv_output_size(w, kw, stride=sw, padding=pw, dilation=dw))
        return out, conv2d_param_count(kh, kw, c, layer.c_out, groups=layer.groups, bias=layer.bias), 1
    if isinstance(layer, _Pool):
        (kh, kw), (ph, pw) = _pair(layer.k, "k"), _pair(layer.p, "p", allow_zero=True)
        sh, sw = (kh, kw) if layer.s is None else _pair(layer.s, "s")
        out = (c,
               pool_output_size(h, kh, stride=sh, padding=ph, ceil_mode=layer.ceil_mode),
               pool_output_size(w, kw, stride=sw, padding=pw, ceil_mode=layer.ceil_mode))
        return out, 0, 0
    if isinstance(layer, BatchNorm):
        return shape, 2 * c, 0
    if isinstance(layer, GlobalAvgPool):
        return (c, 1, 1), 0, 0
    if isinstance(layer, Linear):
        return (layer.c_out, 1, 1), c * h * w * layer.c_out + (layer.c_out if layer.bias else 0), 1
    if isinstance(layer, (Dropout, Softmax)):
        return shape, 0, 0
    if isinstance(layer, Sequential):
        return _chain(layer.layers, shape)
    if isinstance(layer, Concat):
        if not layer.branches:
            raise ValueError("branches: a concatenation needs at least one branch")
        outs = [_chain(b, shape, where=f"branch {i}") for i, b in enumerate(layer.branches)]
        sizes = {o[0][1:] for o in outs}
        if len(sizes) != 1:
            raise ValueError(f"branches: outputs must share H×W to be concatenated, got {[o[0] for o in outs]}")
        return ((sum(o[0][0] for o in outs), *outs[0][0][1:]), sum(o[1] for o in outs), max(o[2] for o in outs))
    if isinstance(layer, Residual):
        body = _chain(layer.body, shape, where="body")
        short = _chain(layer.shortcut, shape, where="shortcut")
        if body[0] != short[0]:
            raise ValueError(f"shortcut: output shape {short[0]} does not match the body's {body[0]}")
        return body[0], body[1] + short[1], max(body[2], short[2])
    raise ValueError(f"layer: expected a layer record of spec.architectures, got {type(layer).__name__}")


def _label(i: int, layer: object, where: str) -> str:
    name = getattr(layer, "name", "")
    return f"{where + ' ' if where else ''}[{i}] {type(layer).__name__}{f' {name!r}' if name else ''}"


def _chain(layers: Sequence[Layer], shape: Shape, *, where: str = "") -> tuple[Shape, int, int]:
    params = depth = 0
    for i, layer in enumerate(layers):
        try:
            shape, p, d = _step(layer, shape)
        except _LayerError as e:
            raise _LayerError(f"{_label(i, layer, where)} › {e}") from None
        except ValueError as e:
            raise _LayerError(f"{_label(i, layer, where)}: {e}") from None
        params += p
        depth += d
    return shape, params, depth


class _LayerError(ValueError):
    """A ValueError raised inside a layer, carrying the path to it; walk() reports it under `layers:`."""


def _input_shape(input_shape: Sequence[int]) -> Shape:
    if not hasattr(input_shape, "__len__") or len(input_shape) != 3:
        raise ValueError(f"input_shape: expected (C, H, W), got {input_shape!r}")
    c, h, w = (_checks.positive_int(v, "input_shape") for v in input_shape)
    return c, h, w


def walk(layers: Sequence[Layer], input_shape: Sequence[int]) -> list[Row]:
    r"""Each top-level layer's output shape (C, H, W), parameter count and depth, in order.

    Spatial sizes: H_2 = \lfloor (H_1 + 2P - d(K-1) - 1)/S \rfloor + 1 for convolutions
    (spec.conv.conv_output_size), the same with \lceil\cdot\rceil and the last-window rule in ceil mode for
    pooling (spec.pooling.pool_output_size). Parameters: K_h K_w (C_in/g) C_out + C_out·[bias] per convolution
    (spec.conv.conv2d_param_count), 2C per batch norm, (C·H·W + [bias])·C_out per fully connected layer.
    A layer that cannot apply (a kernel larger than its padded input, groups not dividing the channels,
    branches of different sizes) is a ValueError naming `layers` and the path to that layer.
    """
    shape = _input_shape(input_shape)
    rows = []
    for i, layer in enumerate(layers):
        try:
            shape, params, depth = _step(layer, shape)
        except ValueError as e:
            sep = " › " if isinstance(e, _LayerError) else ": "
            raise ValueError(f"layers: {_label(i, layer, '')}{sep}{e}") from None
        rows.append(Row(getattr(layer, "name", "") or type(layer).__name__, shape, params, depth))
    return rows


def param_count(layers: Sequence[Layer], input_shape: Sequence[int]) -> int:
    """Total learnable parameters: the sum of walk()'s column."""
    return sum(r.params for r in walk(layers, input_shape))


# ---------------------------------------------------------------------------------------------------------
# GoogLeNet (Szegedy et al. 2015, Table 1)
# ---------------------------------------------------------------------------------------------------------


def inception(c1: int, c3_reduce: int, c3: int, c5_reduce: int, c5: int, pool_proj: int, *, name: str = "") -> Concat:
    """An inception module (Szegedy et al. 2015, Fig. 2(b)), channel counts in Table 1's column order.

    Branches: 1×1; 1×1 reduce → 3×3 (padding 1); 1×1 reduce → 5×5 (padding 2); 3×3/1 max pool (padding 1) →
    1×1 pool projection. Output channels c1 + c3 + c5 + pool_proj. (torchvision's googlenet uses a 3×3 where
    the paper has the 5×5 — a known discrepancy of its port; the output sizes are the same.)
    """
    return Concat((
        (Conv(c1, 1),),
        (Conv(c3_reduce, 1), Conv(c3, 3, p=1)),
        (Conv(c5_reduce, 1), Conv(c5, 5, p=2)),
        (MaxPool(3, s=1, p=1, ceil_mode=True), Conv(pool_proj, 1)),
    ), name=name)


def googlenet(num_classes: int = 1000) -> list[Layer]:
    """GoogLeNet as the rows of Szegedy et al. 2015, Table 1, for a 3×224×224 input.

    The paper gives patch sizes and strides but not paddings: these follow torchvision's googlenet — the 7×7/2
    convolution pads 3, the 3×3 convolution pads 1, and the 3×3/2 max pools use ceil mode without padding (a
    floor-mode 3×3/2 pool would give 55, 27, 13, 6 instead of the table's 56, 28, 14, 7). torchvision's last
    max pool is 2×2/2; the table's 3×3/2 in ceil mode gives the same 7×7. The final average pool is the table's
    7×7/1 (torchvision: adaptive, to 1×1 — the same here). Convolutions carry biases as in the paper.
    """
    num_classes = _checks.positive_int(num_classes, "num_classes")
    return [
        Conv(64, 7, s=2, p=3, name="convolution 7×7/2"),
        MaxPool(3, s=2, ceil_mode=True, name="max pool 3×3/2"),
        Sequential((Conv(64, 1), Conv(192, 3, p=1)), name="convolution 3×3/1"),
        MaxPool(3, s=2, ceil_mode=True, name="max pool 3×3/2"),
        inception(64, 96, 128, 16, 32, 32, name="inception (3a)"),
        inception(128, 128, 192, 32, 96, 64, name="inception (3b)"),
        MaxPool(3, s=2, ceil_mode=True, name="max pool 3×3/2"),
        inception(192, 96, 208, 16, 48, 64, name="inception (4a)"),
        inception(160, 112, 224, 24, 64, 64, name="inception (4b)"),
        inception(128, 128, 256, 24, 64, 64, name="inception (4c)"),
        inception(112, 144, 288, 32, 64, 64, name="inception (4d)"),
        inception(256, 160, 320, 32, 128, 128, name="inception (4e)"),
        MaxPool(3, s=2, ceil_mode=True, name="max pool 3×3/2"),
        inception(256, 160, 320, 32, 128, 128, name="inception (5a)"),
        inception(384, 192, 384, 48, 128, 128, name="inception (5b)"),
        AvgPool(7, s=1, name="avg pool 7×7/1"),
        Dropout(0.4, name="dropout (40%)"),
        Linear(num_classes, name="linear"),
        Softmax(name="softmax"),
    ]


# ---------------------------------------------------------------------------------------------------------
# ResNet-50 (He et al. 2016, Table 1)
# ---------------------------------------------------------------------------------------------------------


def bottleneck(c_in: int, width: int, *, stride: int = 1, expansion: int = 4, stride_on: str = "3x3",
               name: str = "") -> Residual:
    """A bottleneck block (He et al. 2016, Fig. 5 right): 1×1 width → 3×3 width → 1×1 expansion·width, each
    convolution bias-free and followed by batch norm; a 1×1 projection shortcut (+ batch norm) where the shape
    changes (option B, §3.3), else the identity.

    stride_on: where the block's downsampling stride sits — "1x1" on the first 1×1 (the paper, ResNet v1) or
    "3x3" on the 3×3 (torchvision's "ResNet v1.5"). Shapes and parameter counts are the same either way.
    """
    if stride_on not in ("1x1", "3x3"):
        raise ValueError(f"stride_on: expected '1x1' or '3x3', got {stride_on!r}")
    c_out = expansion * width
    s1, s3 = (stride, 1) if stride_on == "1x1" else (1, stride)
    body = (Conv(width, 1, s=s1, bias=False), BatchNorm(),
            Conv(width, 3, s=s3, p=1, bias=False), BatchNorm(),
            Conv(c_out, 1, bias=False), BatchNorm())
    shortcut = (Conv(c_out, 1, s=stride, bias=False), BatchNorm()) if stride != 1 or c_in != c_out else ()
    return Residual(body, shortcut, name=name)


def _stage(c_in: int, width: int, blocks: int, stride: int, stride_on: str, name: str) -> Sequential:
    layers = [bottleneck(c_in, width, stride=stride, stride_on=stride_on)]
    layers += [bottleneck(4 * width, width, stride_on=stride_on) for _ in range(blocks - 1)]
    return Sequential(tuple(layers), name=name)


def resnet50(num_classes: int = 1000, *, stride_on: str = "3x3") -> list[Layer]:
    """ResNet-50 as the rows of He et al. 2016, Table 1 (50-layer column), for a 3×224×224 input.

    conv1 7×7/2, 64 (padding 3) + BN; conv2_x: 3×3/2 max pool (padding 1) and 3 blocks [64, 64, 256];
    conv3_x 4 × [128, 128, 512]; conv4_x 6 × [256, 256, 1024]; conv5_x 3 × [512, 512, 2048] (the first block of
    conv3_x–conv5_x downsamples by 2); global average pool; fc to num_classes with bias.
    """
    num_classes = _checks.positive_int(num_classes, "num_classes")
    return [
        Sequential((Conv(64, 7, s=2, p=3, bias=False), BatchNorm()), name="conv1"),
        Sequential((MaxPool(3, s=2, p=1), *_stage(64, 64, 3, 1, stride_on, "").layers), name="conv2_x"),
        _stage(256, 128, 4, 2, stride_on, "conv3_x"),
        _stage(512, 256, 6, 2, stride_on, "conv4_x"),
        _stage(1024, 512, 3, 2, stride_on, "conv5_x"),
        GlobalAvgPool(name="average pool"),
        Linear(num_classes, name="fc"),
    ]
