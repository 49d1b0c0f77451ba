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
