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

import torch as _torch_bn  # noqa: E402


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
    with _torch_bn.no_grad():  # F.batch_norm updates running_mean/var in place; momentum = 1 − decay (batch weight)
        F.batch_norm(_channels_first(T.tensor(x, device), axis), rm, rv, None, None, training=True,
                     momentum=1 - decay)
    return T.array(rm), T.array(rv)


def batch_norm_inference(x, gamma, beta, mean, var, *, eps=1e-5, axis=1, device):
    g, b, e, v = (T.tensor(a, device) for a in (gamma, beta, mean, var))
    y = F.batch_norm(_channels_first(T.tensor(x, device), axis), e, v, g, b, training=False, eps=eps)
    return T.array(_channels_back(y, axis))




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



# === iou ===================================================================================
# (section owned by the iou family)

