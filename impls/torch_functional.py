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


def _kl_div(p, q, axis):
    # F.kl_div takes the model as log-probabilities (input = log q) and the target p as probabilities
    # (log_target=False): the log is torch's own calling convention, taken here with torch.log
    return torch.sum(F.kl_div(torch.log(q), p, reduction="none", log_target=False), dim=axis)


def kl_divergence(p, q, *, axis=-1, device):
    return T.array(_kl_div(T.tensor(p, device), T.tensor(q, device), axis))


def kl_divergence_vjp(p, q, dy, *, axis=-1, device):
    return T.vjp(lambda pt, qt: _kl_div(pt, qt, axis), [p, q], dy, device, wrt=[1])[0]



# === conv ===================================================================================
# (section owned by the conv family)



# === pooling ===================================================================================
# (section owned by the pooling family)



# === iou ===================================================================================
# (section owned by the iou family)

