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
# torch has no standardize (F.normalize is an L_p normalisation): not provided.

def _norms_call(fn):
    """Run a torch call, turning 'not implemented for <dtype>' into Unsupported."""
    try:
        return fn()
    except RuntimeError as e:
        if (u := T.unsupported(e)) is not None:
            raise u from None
        raise


def layer_norm(x, gamma, beta, *, eps=1e-5, device):
    # normalized_shape = every axis but the batch axis: the spec's layer norm over one whole sample
    return _norms_call(lambda: T.array(F.layer_norm(T.tensor(x, device), x.shape[1:], T.tensor(gamma, device),
                                                    T.tensor(beta, device), eps)))


def layer_norm_vjp(x, gamma, beta, dy, *, eps=1e-5, device):
    return _norms_call(lambda: T.vjp(lambda t, g, b: F.layer_norm(t, x.shape[1:], g, b, eps), [x, gamma, beta], dy,
                                     device))


def instance_norm(x, gamma, beta, *, eps=1e-5, device):
    # use_input_stats=True: statistics of the input itself, no running averages (the spec's instance norm)
    return _norms_call(lambda: T.array(F.instance_norm(T.tensor(x, device), weight=T.tensor(gamma, device),
                                                       bias=T.tensor(beta, device), use_input_stats=True, eps=eps)))


def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):
    return _norms_call(lambda: T.array(F.group_norm(T.tensor(x, device), int(groups), T.tensor(gamma, device),
                                                    T.tensor(beta, device), eps)))


def group_norm_vjp(x, gamma, beta, dy, *, groups, eps=1e-5, device):
    return _norms_call(lambda: T.vjp(lambda t, g, b: F.group_norm(t, int(groups), g, b, eps), [x, gamma, beta], dy,
                                     device))



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

