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

import numpy as np  # noqa: E402

from .interface import Unsupported  # noqa: E402


def _torch_call(fn):
    """Run a torch call; 'not implemented for <dtype>' becomes Unsupported."""
    try:
        return fn()
    except RuntimeError as e:
        u = T.unsupported(e)
        if u is not None:
            raise u from None
        raise


def _ce(z, target, reduction, label_smoothing):
    # target: class probabilities (same shape as the logits) or class indices (N,), F.cross_entropy takes both
    return F.cross_entropy(z, target, reduction=reduction, label_smoothing=label_smoothing)


def _scalar_one(x):
    # the cotangent of a scalar loss (its gradient is the vjp of 1), as shape (1,): T.tensor makes 0-d arrays 1-d
    return np.ones((1,), dtype=x.dtype)


def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return _torch_call(lambda: T.array(_ce(T.tensor(logits, device), T.tensor(labels, device), reduction,
                                           label_smoothing)))


def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return _torch_call(lambda: T.vjp(lambda z, t: _ce(z, t, reduction, label_smoothing).reshape(1), [logits, labels],
                                     _scalar_one(logits), device, wrt=[0])[0])


def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return softmax_cross_entropy(logits, labels, reduction=reduction, label_smoothing=label_smoothing,
                                 device=device)


def sparse_softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return softmax_cross_entropy_grad(logits, labels, reduction=reduction, label_smoothing=label_smoothing,
                                      device=device)


# === sigmoid ===================================================================================
# (section owned by the sigmoid family)

def sigmoid(x, *, device):
    return _torch_call(lambda: T.array(torch.sigmoid(T.tensor(x, device))))


def sigmoid_vjp(x, dy, *, device):
    return _torch_call(lambda: T.vjp(torch.sigmoid, [x], dy, device)[0])


def _no_binary_smoothing(label_smoothing):
    if label_smoothing != 0:
        raise Unsupported("F.binary_cross_entropy_with_logits has no label_smoothing argument")


def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):
    _no_binary_smoothing(label_smoothing)
    return _torch_call(lambda: T.array(F.binary_cross_entropy_with_logits(
        T.tensor(logits, device), T.tensor(labels, device), reduction=reduction)))


def sigmoid_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    _no_binary_smoothing(label_smoothing)
    def loss(x, z):
        return F.binary_cross_entropy_with_logits(x, z, reduction=reduction).reshape(1)

    return _torch_call(lambda: T.vjp(loss, [logits, labels], _scalar_one(logits), device, wrt=[0])[0])


# === kl ===================================================================================
# (section owned by the kl family)



# === conv ===================================================================================
# (section owned by the conv family)



# === pooling ===================================================================================
# (section owned by the pooling family)



# === iou ===================================================================================
# (section owned by the iou family)

