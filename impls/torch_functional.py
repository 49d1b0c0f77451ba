"""PyTorch through torch.nn.functional (and torch.distributions where it is the only public path), with
torch.autograd for every gradient."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import _torch as T

NAME = "torch:functional"
VERSION = torch.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# === softmax ===================================================================================

def softmax(x, *, axis=-1, device):
    return T.array(F.softmax(T.tensor(x, device), dim=axis))


def log_softmax(x, *, axis=-1, device):
    return T.array(F.log_softmax(T.tensor(x, device), dim=axis))


def softmax_vjp(x, dy, *, axis=-1, device):
    return T.vjp(lambda t: F.softmax(t, dim=axis), [x], dy, device)[0]


def log_softmax_vjp(x, dy, *, axis=-1, device):
    return T.vjp(lambda t: F.log_softmax(t, dim=axis), [x], dy, device)[0]


# === batch_norm ===================================================================================
# (section owned by the batch_norm family)



# === norms ===================================================================================
# (section owned by the norms family)



# === cross_entropy ===================================================================================
# (section owned by the cross_entropy family)



# === sigmoid ===================================================================================
# (section owned by the sigmoid family)



# === kl ===================================================================================
# (section owned by the kl family)



# === conv ===================================================================================
# (section owned by the conv family)



# === pooling ===================================================================================
# (section owned by the pooling family)
from ..spec.conv import same_padding as _same_padding  # noqa: E402


def _pool_pair(v):
    return (int(v), int(v)) if isinstance(v, int) else tuple(int(t) for t in v)


def _pool_padding(padding, hw, kernel, stride, dilation=(1, 1)):
    """torch pooling takes one symmetric padding per axis: 'valid' is 0, 'same' is TF/XLA's split
    (spec.conv.same_padding) when it is symmetric; asymmetric padding is outside torch's API."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        pairs = [_same_padding(hw[a], kernel[a], stride=stride[a], dilation=dilation[a]) for a in (0, 1)]
    else:
        pairs = [(int(p[0]), int(p[1])) for p in padding]
    if any(b != a for b, a in pairs):
        raise T.Unsupported(f"torch {torch.__version__} pooling takes symmetric padding only, not {pairs}")
    return pairs[0][0], pairs[1][0]


def _max_pool(t, kernel, stride, padding, dilation, ceil_mode, return_indices=False):
    k = _pool_pair(kernel)
    s = k if stride is None else _pool_pair(stride)
    p = _pool_padding(padding, t.shape[2:], k, s, dilation)
    return F.max_pool2d(t, k, s, p, dilation, ceil_mode, return_indices=return_indices)


def _avg_pool(t, kernel, stride, padding, ceil_mode, count_include_pad):
    k = _pool_pair(kernel)
    s = k if stride is None else _pool_pair(stride)
    p = _pool_padding(padding, t.shape[2:], k, s)
    return F.avg_pool2d(t, k, s, p, ceil_mode, count_include_pad)


def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):
    return T.array(_max_pool(T.tensor(x, device), kernel, stride, padding, dilation, ceil_mode))


def max_pool2d_with_indices(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1),
                            ceil_mode=False, device):
    y, idx = _max_pool(T.tensor(x, device), kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    return T.array(y), T.array(idx)  # torch's indices are already flat h·W + w per (n, c) plane


def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,
                   device):
    return T.vjp(lambda t: _max_pool(t, kernel, stride, padding, dilation, ceil_mode), [x], dy, device)[0]


def max_unpool2d(y, indices, *, output_size, device):
    H, W = (int(v) for v in output_size)
    h, w = y.shape[2:]
    # torch uses kernel/stride/padding only to check that output_size lies within one stride of the size they
    # imply; stride 1, padding 0 and kernel (H − h + 1, W − w + 1) imply exactly (H, W), so output_size rules.
    kernel = (max(H - h + 1, 1), max(W - w + 1, 1))
    out = F.max_unpool2d(T.tensor(y, device), torch.as_tensor(indices, dtype=torch.int64, device=device), kernel,
                         stride=1, padding=0, output_size=(H, W))
    return T.array(out)


def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,
               device):
    return T.array(_avg_pool(T.tensor(x, device), kernel, stride, padding, ceil_mode, count_include_pad))


def avg_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False,
                   count_include_pad=True, device):
    return T.vjp(lambda t: _avg_pool(t, kernel, stride, padding, ceil_mode, count_include_pad), [x], dy, device)[0]


def global_avg_pool2d(x, *, device):
    return T.array(F.adaptive_avg_pool2d(T.tensor(x, device), 1).flatten(1))  # (N, C, 1, 1) → (N, C)



# === iou ===================================================================================
# (section owned by the iou family)

