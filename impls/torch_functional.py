"""PyTorch through torch.nn.functional, with torch.autograd for every gradient (the Gaussian KL, whose only
public closed form is torch.distributions.kl_divergence, is the column torch:distributions)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..spec.conv import same_padding as _same_padding
from . import _torch as T
from .interface import Unsupported

NAME = "torch:functional"
VERSION = torch.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# --- softmax ----------------------------------------------------------------------------------------------------------

def softmax(x, *, axis=-1, device):
    return T.array(F.softmax(T.tensor(x, device), dim=axis))


def log_softmax(x, *, axis=-1, device):
    return T.array(F.log_softmax(T.tensor(x, device), dim=axis))


def softmax_vjp(x, dy, *, axis=-1, device):
    return T.vjp(lambda t: F.softmax(t, dim=axis), [x], dy, device)[0]


def log_softmax_vjp(x, dy, *, axis=-1, device):
    return T.vjp(lambda t: F.log_softmax(t, dim=axis), [x], dy, device)[0]


# --- batch norm -------------------------------------------------------------------------------------------------------

def _channels_first(t, axis):
    return t.movedim(axis % t.ndim, 1)  # torch's convention: channels on dim 1 (channels-last is permuted)


def _channels_back(t, axis):
    return t.movedim(1, axis % t.ndim)


def _bn_train(eps, axis):
    return lambda t, g, b: _channels_back(F.batch_norm(_channels_first(t, axis), None, None, g, b, training=True,
                                                       eps=eps), axis)


def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):
    ts = [T.tensor(a, device) for a in (x, gamma, beta)]
    return T.array(_bn_train(eps, axis)(*ts))


def batch_norm_train_vjp(x, gamma, beta, dy, *, eps=1e-5, axis=1, device):
    return T.vjp(_bn_train(eps, axis), [x, gamma, beta], dy, device)


def batch_norm_running_stats(x, running_mean, running_var, *, decay=0.9, axis=1, device):
    rm, rv = T.tensor(running_mean, device).clone(), T.tensor(running_var, device).clone()
    with torch.no_grad():  # F.batch_norm updates running_mean/var in place; momentum = 1 − decay (batch weight)
        F.batch_norm(_channels_first(T.tensor(x, device), axis), rm, rv, None, None, training=True,
                     momentum=1 - decay)
    return T.array(rm), T.array(rv)


def batch_norm_inference(x, gamma, beta, mean, var, *, eps=1e-5, axis=1, device):
    g, b, e, v = (T.tensor(a, device) for a in (gamma, beta, mean, var))
    y = F.batch_norm(_channels_first(T.tensor(x, device), axis), e, v, g, b, training=False, eps=eps)
    return T.array(_channels_back(y, axis))


# --- norms ------------------------------------------------------------------------------------------------------------
# torch has no standardize (F.normalize is an L_p normalisation): not provided.



def layer_norm(x, gamma, beta, *, eps=1e-5, device):
    # normalized_shape = every axis but the batch axis: the spec's layer norm over one whole sample
    return T.call(lambda: T.array(F.layer_norm(T.tensor(x, device), x.shape[1:], T.tensor(gamma, device),
                                                    T.tensor(beta, device), eps)))


def layer_norm_vjp(x, gamma, beta, dy, *, eps=1e-5, device):
    return T.call(lambda: T.vjp(lambda t, g, b: F.layer_norm(t, x.shape[1:], g, b, eps), [x, gamma, beta], dy,
                                     device))


def instance_norm(x, gamma, beta, *, eps=1e-5, device):
    # use_input_stats=True: statistics of the input itself, no running averages (the spec's instance norm)
    return T.call(lambda: T.array(F.instance_norm(T.tensor(x, device), weight=T.tensor(gamma, device),
                                                       bias=T.tensor(beta, device), use_input_stats=True, eps=eps)))


def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):
    return T.call(lambda: T.array(F.group_norm(T.tensor(x, device), int(groups), T.tensor(gamma, device),
                                                    T.tensor(beta, device), eps)))


def group_norm_vjp(x, gamma, beta, dy, *, groups, eps=1e-5, device):
    return T.call(lambda: T.vjp(lambda t, g, b: F.group_norm(t, int(groups), g, b, eps), [x, gamma, beta], dy,
                                     device))


# --- cross entropy ----------------------------------------------------------------------------------------------------



def _ce(z, target, reduction, label_smoothing):
    # target: class probabilities (same shape as the logits) or class indices (N,), F.cross_entropy takes both
    return F.cross_entropy(z, target, reduction=reduction, label_smoothing=label_smoothing)


def _scalar_one(x):
    # the cotangent of a scalar loss (its gradient is the vjp of 1), as shape (1,): T.tensor makes 0-d arrays 1-d
    return np.ones((1,), dtype=x.dtype)


def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return T.call(lambda: T.array(_ce(T.tensor(logits, device), T.tensor(labels, device), reduction,
                                           label_smoothing)))


def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return T.call(lambda: T.vjp(lambda z, t: _ce(z, t, reduction, label_smoothing).reshape(1), [logits, labels],
                                     _scalar_one(logits), device, wrt=[0])[0])


def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return softmax_cross_entropy(logits, labels, reduction=reduction, label_smoothing=label_smoothing,
                                 device=device)


def sparse_softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return softmax_cross_entropy_grad(logits, labels, reduction=reduction, label_smoothing=label_smoothing,
                                      device=device)


def _weighted_ce(z, y, w, ignore_index, reduction, label_smoothing):
    # F.cross_entropy's own weighted 'mean': Σ ℓ_n / Σ_n w_{y_n} over the targets that are not ignore_index
    return F.cross_entropy(z, y, weight=w, ignore_index=int(ignore_index), reduction=reduction,
                           label_smoothing=label_smoothing)


def weighted_sparse_softmax_cross_entropy(logits, labels, weight, *, ignore_index=-100, reduction="mean",
                                          label_smoothing=0.0, device):
    return T.call(lambda: T.array(_weighted_ce(T.tensor(logits, device), T.tensor(labels, device),
                                               T.tensor(weight, device), ignore_index, reduction, label_smoothing)))


def weighted_sparse_softmax_cross_entropy_grad(logits, labels, weight, *, ignore_index=-100, reduction="mean",
                                               label_smoothing=0.0, device):
    def loss(z, y, w):
        return _weighted_ce(z, y, w, ignore_index, reduction, label_smoothing).reshape(1)

    return T.call(lambda: T.vjp(loss, [logits, labels, weight], _scalar_one(logits), device, wrt=[0])[0])


# --- sigmoid ----------------------------------------------------------------------------------------------------------

def sigmoid(x, *, device):
    return T.call(lambda: T.array(torch.sigmoid(T.tensor(x, device))))


def sigmoid_vjp(x, dy, *, device):
    return T.call(lambda: T.vjp(torch.sigmoid, [x], dy, device)[0])


def _no_binary_smoothing(label_smoothing):
    if label_smoothing != 0:
        raise Unsupported("F.binary_cross_entropy_with_logits has no label_smoothing argument")


def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):
    _no_binary_smoothing(label_smoothing)
    return T.call(lambda: T.array(F.binary_cross_entropy_with_logits(
        T.tensor(logits, device), T.tensor(labels, device), reduction=reduction)))


def sigmoid_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    _no_binary_smoothing(label_smoothing)
    def loss(x, z):
        return F.binary_cross_entropy_with_logits(x, z, reduction=reduction).reshape(1)

    return T.call(lambda: T.vjp(loss, [logits, labels], _scalar_one(logits), device, wrt=[0])[0])


def sigmoid_cross_entropy_with_pos_weight(logits, labels, pos_weight, *, reduction="none", device):
    # pos_weight broadcasts against the last (class) axis, as F.binary_cross_entropy_with_logits documents
    return T.call(lambda: T.array(F.binary_cross_entropy_with_logits(
        T.tensor(logits, device), T.tensor(labels, device), pos_weight=T.tensor(pos_weight, device),
        reduction=reduction)))


# --- kl ---------------------------------------------------------------------------------------------------------------

def _kl_div(p, q, axis):
    # F.kl_div takes the model as log-probabilities (input = log q) and the target p as probabilities
    # (log_target=False): the log is torch's own calling convention, taken here with torch.log
    return torch.sum(F.kl_div(torch.log(q), p, reduction="none", log_target=False), dim=axis)


def kl_divergence(p, q, *, axis=-1, device):
    return T.array(_kl_div(T.tensor(p, device), T.tensor(q, device), axis))


def kl_divergence_vjp(p, q, dy, *, axis=-1, device):
    return T.vjp(lambda pt, qt: _kl_div(pt, qt, axis), [p, q], dy, device, wrt=[1])[0]


def kl_div_loss(log_q, target, *, reduction="batchmean", log_target=False, device):
    return T.array(F.kl_div(T.tensor(log_q, device), T.tensor(target, device), reduction=reduction,
                            log_target=log_target))


# --- conv -------------------------------------------------------------------------------------------------------------

def _conv_pair(v):
    return tuple(int(a) for a in np.broadcast_to(np.ravel(v), 2))


def _conv_same_pads(size, k, s, d):
    # TensorFlow's 'same' for a stride torch's padding='same' refuses (stride > 1), as timm's pad_same does it:
    # ⌈size/s⌉ outputs, the odd cell of padding after. A calling-convention translation, not the formula.
    total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _conv_call(x, w, b, stride, padding, dilation, groups):
    """F.conv2d on tensors; torch takes 'valid', 'same' (stride 1 only) or symmetric (p_h, p_w) padding, so an
    asymmetric explicit padding, or 'same' with stride > 1, goes through F.pad first with 0 in the conv."""
    stride, dilation = _conv_pair(stride), _conv_pair(dilation)
    if isinstance(padding, str):
        if padding == "valid" or stride == (1, 1):
            return F.conv2d(x, w, b, stride, padding, dilation, groups)
        pads = [_conv_same_pads(n, k, s, d) for n, k, s, d in zip(x.shape[2:], w.shape[2:], stride, dilation)]
    else:
        p = np.asarray(padding)
        pads = [(int(p), int(p))] * 2 if p.ndim == 0 else [(int(a), int(a)) for a in p] if p.ndim == 1 \
            else [(int(a), int(c)) for a, c in p]
    if all(before == after for before, after in pads):
        return F.conv2d(x, w, b, stride, (pads[0][0], pads[1][0]), dilation, groups)
    (top, bottom), (left, right) = pads
    return F.conv2d(F.pad(x, (left, right, top, bottom)), w, b, stride, 0, dilation, groups)  # F.pad: last dim first


def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    try:
        return T.array(_conv_call(T.tensor(x, device), T.tensor(w, device), None if b is None else T.tensor(b, device),
                                  stride, padding, dilation, groups))
    except RuntimeError as e:
        raise (T.unsupported(e) or e) from None


def conv2d_vjp(x, w, b, dy, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    primals = [x, w] if b is None else [x, w, b]
    try:
        return T.vjp(lambda *t: _conv_call(t[0], t[1], t[2] if len(t) > 2 else None, stride, padding, dilation, groups),
                     primals, dy, device)
    except RuntimeError as e:
        raise (T.unsupported(e) or e) from None


# --- pooling ----------------------------------------------------------------------------------------------------------

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
