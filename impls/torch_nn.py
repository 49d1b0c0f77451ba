"""PyTorch through its nn modules (nn.BatchNorm1d/2d/3d with running statistics and momentum; nn.LayerNorm,
nn.GroupNorm, nn.InstanceNorm1d/2d/3d), a second column beside torch.nn.functional. γ and β enter as the module's
weight and bias through torch.func.functional_call, so autograd differentiates with respect to them."""

from __future__ import annotations

import torch
from torch.func import functional_call

from . import _torch as T
from .interface import Unsupported

NAME = "torch:nn"
VERSION = torch.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# --- batch norm -------------------------------------------------------------------------------------------------------

_BN_MODULES = {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d, 5: torch.nn.BatchNorm3d}


def _bn_module(x, axis, eps, decay, device):
    """nn.BatchNorm1d for (N, C), BatchNorm2d for (N, C, H, W): channels on dim 1, momentum = 1 − decay."""
    c = x.shape[axis % x.ndim]
    return _BN_MODULES[x.ndim](c, eps=eps, momentum=1 - decay, device=device, dtype=T.TORCH_DTYPE[_dtype_name(x)])


def _dtype_name(x):
    return "bfloat16" if x.dtype.name == "bfloat16" else x.dtype.name


def _channels_first(t, axis):
    return t.movedim(axis % t.ndim, 1)  # torch's convention: channels on dim 1 (channels-last is permuted)


def _module_train(module, axis):
    module.train()
    return lambda t, g, b: functional_call(module, {"weight": g, "bias": b}, (_channels_first(t, axis),)
                                           ).movedim(1, axis % t.ndim)


def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):
    forward = _module_train(_bn_module(x, axis, eps, 0.9, device), axis)
    with torch.no_grad():
        return T.array(forward(*(T.tensor(a, device) for a in (x, gamma, beta))))


def batch_norm_train_vjp(x, gamma, beta, dy, *, eps=1e-5, axis=1, device):
    return T.vjp(_module_train(_bn_module(x, axis, eps, 0.9, device), axis), [x, gamma, beta], dy, device)


def batch_norm_running_stats(x, running_mean, running_var, *, decay=0.9, axis=1, device):
    module = _bn_module(x, axis, 1e-5, decay, device).train()
    with torch.no_grad():  # the buffers are the state; a training forward moves them
        module.running_mean.copy_(T.tensor(running_mean, device))
        module.running_var.copy_(T.tensor(running_var, device))
        module(_channels_first(T.tensor(x, device), axis))
    return T.array(module.running_mean), T.array(module.running_var)


def batch_norm_inference(x, gamma, beta, mean, var, *, eps=1e-5, axis=1, device):
    module = _bn_module(x, axis, eps, 0.9, device).eval()
    with torch.no_grad():  # eval mode normalises with the buffers, which hold the given statistics
        for name, a in (("weight", gamma), ("bias", beta), ("running_mean", mean), ("running_var", var)):
            getattr(module, name).copy_(T.tensor(a, device))
        return T.array(module(_channels_first(T.tensor(x, device), axis)).movedim(1, axis % x.ndim))


# --- norms ------------------------------------------------------------------------------------------------------------



def _affine(module):
    return lambda t, g, b: functional_call(module, {"weight": g, "bias": b}, (t,))


def _forward(module, x, gamma, beta, device):
    with torch.no_grad():
        return T.array(_affine(module)(*(T.tensor(a, device) for a in (x, gamma, beta))))


def _layer_norm_module(x, eps, device):
    # normalized_shape = every axis but the batch axis: the spec's layer norm over one whole sample
    return torch.nn.LayerNorm(x.shape[1:], eps=eps, device=device, dtype=T.TORCH_DTYPE[_dtype_name(x)])


def _group_norm_module(x, groups, eps, device):
    return torch.nn.GroupNorm(int(groups), x.shape[1], eps=eps, device=device, dtype=T.TORCH_DTYPE[_dtype_name(x)])


_IN_MODULES = {3: torch.nn.InstanceNorm1d, 4: torch.nn.InstanceNorm2d, 5: torch.nn.InstanceNorm3d}


def layer_norm(x, gamma, beta, *, eps=1e-5, device):
    return T.call(lambda: _forward(_layer_norm_module(x, eps, device), x, gamma, beta, device))


def layer_norm_vjp(x, gamma, beta, dy, *, eps=1e-5, device):
    return T.call(lambda: T.vjp(_affine(_layer_norm_module(x, eps, device)), [x, gamma, beta], dy, device))


def instance_norm(x, gamma, beta, *, eps=1e-5, device):
    if x.ndim not in _IN_MODULES:
        raise Unsupported(f"torch.nn has InstanceNorm1d/2d/3d for 3- to 5-D input, not {x.ndim}-D")
    # affine=True for γ, β; track_running_stats=False: statistics of the input itself (the spec's instance norm)
    module = _IN_MODULES[x.ndim](x.shape[1], eps=eps, affine=True, track_running_stats=False, device=device,
                                 dtype=T.TORCH_DTYPE[_dtype_name(x)])
    return T.call(lambda: _forward(module, x, gamma, beta, device))


def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):
    return T.call(lambda: _forward(_group_norm_module(x, groups, eps, device), x, gamma, beta, device))


def group_norm_vjp(x, gamma, beta, dy, *, groups, eps=1e-5, device):
    return T.call(lambda: T.vjp(_affine(_group_norm_module(x, groups, eps, device)), [x, gamma, beta], dy,
                                    device))
