"""Mutants of the conv family: each a mistake found in hand-written convolutions."""

from __future__ import annotations

import numpy as np

from ..impls import numpy_ as base
from ..impls.numpy_.conv import explicit_padding
from . import mutant


def _pads(x, w, stride, padding, dilation):
    stride, dilation = (np.broadcast_to(np.ravel(v), 2) for v in (stride, dilation))
    return explicit_padding(padding, x.shape[2:], w.shape[2:], stride.tolist(), dilation.tolist())


@mutant("conv-ignores-dilation", "dilation dropped: contiguous taps and an output size computed without d")
def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    pads = _pads(x, w, stride, padding, dilation)  # 'same' still sized for the dilated kernel
    return base.conv2d(x, w, b, stride=stride, padding=pads, dilation=(1, 1), groups=groups, device=device)


@mutant("conv-padding-off-by-one", "one cell too many of padding on the top and left (P + 1 before, P after)")
def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    (t, bo), (le, r) = _pads(x, w, stride, padding, dilation)
    return base.conv2d(x, w, b, stride=stride, padding=((t + 1, bo), (le + 1, r)), dilation=dilation, groups=groups,
                       device=device)


@mutant("conv-same-extra-cell-before", "'same' puts the odd padding cell before (top/left), not after as TF does")
def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    (t, bo), (le, r) = _pads(x, w, stride, padding, dilation)
    if isinstance(padding, str) and padding == "same":
        (t, bo), (le, r) = (bo, t), (r, le)
    return base.conv2d(x, w, b, stride=stride, padding=((t, bo), (le, r)), dilation=dilation, groups=groups,
                       device=device)


@mutant("conv-flipped-kernel", "true convolution (kernel flipped in H and W) instead of cross-correlation")
def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    return base.conv2d(x, np.ascontiguousarray(w[:, :, ::-1, ::-1]), b, stride=stride, padding=padding,
                       dilation=dilation, groups=groups, device=device)


@mutant("conv-groups-read-first-channels", "every group reads the first C_in/g input channels (group offset lost)")
def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    cg, og = w.shape[1], w.shape[0] // groups
    parts = [base.conv2d(x[:, :cg], w[k * og:(k + 1) * og], None if b is None else b[k * og:(k + 1) * og],
                         stride=stride, padding=padding, dilation=dilation, groups=1, device=device)
             for k in range(groups)]
    return np.concatenate(parts, axis=1)


@mutant("conv-bias-added-twice", "the bias is added in the conv and again afterwards")
def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    y = base.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups, device=device)
    return y if b is None else (y + b[None, :, None, None]).astype(x.dtype)


@mutant("conv-vjp-dw-ignores-stride", "dw correlates x with dy as if the stride were 1 (dy not dilated by S)")
def conv2d_vjp(x, w, b, dy, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    grads = list(base.conv2d_vjp(x, w, b, dy, stride=stride, padding=padding, dilation=dilation, groups=groups,
                                 device=device))
    (t, bo), (le, r) = _pads(x, w, stride, padding, dilation)
    d_h, d_w = np.broadcast_to(np.ravel(dilation), 2).tolist()
    x_pad = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (t, bo), (le, r)))
    o_h, o_w = dy.shape[2:]
    cg, og = w.shape[1], w.shape[0] // groups
    dw = np.zeros(w.shape)
    for o in range(w.shape[0]):
        first = (o // og) * cg
        for u in range(w.shape[2]):
            for v in range(w.shape[3]):
                tap = x_pad[:, first:first + cg, u * d_h:u * d_h + o_h, v * d_w:v * d_w + o_w]
                dw[o, :, u, v] = np.einsum("nhw,nchw->c", dy[:, o].astype(np.float64), tap)
    grads[1] = dw.astype(w.dtype)
    return tuple(grads)


@mutant("conv-vjp-dx-unflipped", "dx as the correlation of dy with the unflipped kernel (a transposed conv bug)")
def conv2d_vjp(x, w, b, dy, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    grads = list(base.conv2d_vjp(x, np.ascontiguousarray(w[:, :, ::-1, ::-1]), b, dy, stride=stride, padding=padding,
                                 dilation=dilation, groups=groups, device=device))
    grads[1] = base.conv2d_vjp(x, w, b, dy, stride=stride, padding=padding, dilation=dilation, groups=groups,
                               device=device)[1]
    return tuple(grads)


# --- inferior algorithms and reach (issue 10): each a behaviour seen in a real kernel ---------------------------

def _conv_in(x, w, b, stride, padding, dilation, groups, dtype):
    """The NumPy backend's convolution with every addition rounded to `dtype` (tap by tap, channel by channel)."""
    stride, dilation = (tuple(int(v) for v in np.broadcast_to(np.ravel(t), 2)) for t in (stride, dilation))
    (t, bo), (le, r) = _pads(x, w, stride, padding, dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (le, r))).astype(dtype)
    c_out, cg, k_h, k_w = w.shape
    og = c_out // groups
    o_h = (xp.shape[2] - dilation[0] * (k_h - 1) - 1) // stride[0] + 1
    o_w = (xp.shape[3] - dilation[1] * (k_w - 1) - 1) // stride[1] + 1
    y = np.zeros((x.shape[0], c_out, o_h, o_w), dtype=dtype)
    for o in range(c_out):
        first = (o // og) * cg
        for c in range(cg):
            for u in range(k_h):
                for v in range(k_w):
                    tap = xp[:, first + c, u * dilation[0]:u * dilation[0] + (o_h - 1) * stride[0] + 1:stride[0],
                             v * dilation[1]:v * dilation[1] + (o_w - 1) * stride[1] + 1:stride[1]]
                    y[:, o] = (y[:, o] + (tap.astype(np.float32) * np.float32(w[o, c, u, v])).astype(dtype)
                               ).astype(dtype)
    if b is not None:
        y = (y + b.astype(dtype)[None, :, None, None]).astype(dtype)
    return y


@mutant("conv-float16-accumulator",
        "float16 products accumulated in float16 (oneDNN GPU small-channel/depthwise kernels before "
        "uxlfoundation/oneDNN#5041; OpenVINO GPU, openvinotoolkit/openvino#19782)")
def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    if x.dtype != np.float16:
        return base.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups, device=device)
    return _conv_in(x, w, b, stride, padding, dilation, groups, np.float16)


@mutant("conv-depthwise-multiplier-channel-order",
        "depthwise with channel multiplier M > 1: output channel o reads input channel o mod C_in, not o // M "
        "(TF's [C_in, M] filter order read as [M, C_in]; ARM-software/ComputeLibrary#553, alibaba/MNN#1065)")
def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    c_in = x.shape[1]
    if groups != c_in or w.shape[0] == c_in:
        return base.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups, device=device)
    m = w.shape[0] // c_in
    # the filters of channel c sit at o = c·M + k; this kernel takes them as o = k·C_in + c
    order = np.array([(o % c_in) * m + o // c_in for o in range(w.shape[0])])
    y = base.conv2d(x, w[order], None if b is None else b[order], stride=stride, padding=padding, dilation=dilation,
                    groups=groups, device=device)
    return y[:, np.argsort(order)]


@mutant("conv-channel-remainder-dropped",
        "input channels past the last full block of 16 are skipped (a SIMD remainder loop missing: "
        "modular/modular#6248 wrong results from C_in >= 8, bhuman/CompiledNN#16)")
def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    cg = w.shape[1]
    if cg <= 16:
        return base.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups, device=device)
    w = w.copy()
    w[:, 16 * (cg // 16):] = 0  # the remainder channels never reach the accumulator
    return base.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups, device=device)


@mutant("conv-depthwise-stride2-dx-unstrided",
        "depthwise backward at stride > 1 scatters dy as if the stride were 1 (yonghenglh6/DepthwiseConvolution#20: "
        "the stride-2 gradient does not match a standard convolution's)")
def conv2d_vjp(x, w, b, dy, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    grads = list(base.conv2d_vjp(x, w, b, dy, stride=stride, padding=padding, dilation=dilation, groups=groups,
                                 device=device))
    s = np.broadcast_to(np.ravel(stride), 2).tolist()
    if groups != x.shape[1] or groups == 1 or s == [1, 1]:
        return tuple(grads)
    (t, bo), (le, r) = _pads(x, w, stride, padding, dilation)
    d_h, d_w = np.broadcast_to(np.ravel(dilation), 2).tolist()
    dx = np.zeros((x.shape[0], x.shape[1], x.shape[2] + t + bo, x.shape[3] + le + r))
    o_h, o_w = dy.shape[2:]
    m = w.shape[0] // groups
    for o in range(w.shape[0]):
        for u in range(w.shape[2]):
            for v in range(w.shape[3]):
                rows = slice(u * d_h, min(u * d_h + o_h, dx.shape[2]))
                cols = slice(v * d_w, min(v * d_w + o_w, dx.shape[3]))
                dx[:, o // m, rows, cols] += w[o, 0, u, v] * dy[:, o, :rows.stop - rows.start, :cols.stop - cols.start]
    grads[0] = dx[:, :, t:t + x.shape[2], le:le + x.shape[3]].astype(x.dtype)
    return tuple(grads)


@mutant("conv-vjp-float16-accumulator",
        "the float16 weight gradient dw is a float16 running sum over N·H_out·W_out (oneDNN GPU f16 "
        "accumulation before uxlfoundation/oneDNN#5041; tinygrad/tinygrad#7973 fp16 conv inaccuracy)")
def conv2d_vjp(x, w, b, dy, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):  # noqa: F811
    grads = list(base.conv2d_vjp(x, w, b, dy, stride=stride, padding=padding, dilation=dilation, groups=groups,
                                 device=device))
    if x.dtype != np.float16:
        return tuple(grads)
    stride_, dilation_ = (tuple(int(v) for v in np.broadcast_to(np.ravel(t), 2)) for t in (stride, dilation))
    (t, bo), (le, r) = _pads(x, w, stride, padding, dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (le, r)))
    o_h, o_w = dy.shape[2:]
    cg, og = w.shape[1], w.shape[0] // groups
    dw = np.zeros(w.shape, dtype=np.float16)
    for n in range(x.shape[0]):  # a float16 running sum over n, i, j
        for i in range(o_h):
            for j in range(o_w):
                for o in range(w.shape[0]):
                    first = (o // og) * cg
                    patch = xp[n, first:first + cg, i * stride_[0]:i * stride_[0] + dilation_[0] * (w.shape[2] - 1) + 1:
                               dilation_[0], j * stride_[1]:j * stride_[1] + dilation_[1] * (w.shape[3] - 1) + 1:
                               dilation_[1]]
                    dw[o] = (dw[o] + (patch.astype(np.float32) * np.float32(dy[n, o, i, j])).astype(np.float16)
                             ).astype(np.float16)
    grads[1] = dw
    return tuple(grads)
