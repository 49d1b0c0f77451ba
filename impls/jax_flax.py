"""JAX through Flax's layers (flax.linen BatchNorm with its running averages, LayerNorm, InstanceNorm, GroupNorm,
and the pooling functions avg_pool/max_pool), with jax.vjp for every gradient. Layers keep their defaults
(use_fast_variance included): the audit is of what a user gets."""

from __future__ import annotations

from functools import partial

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp

from . import _jax as J
from .interface import Unsupported

NAME = "jax:flax"
VERSION = f"flax {flax.__version__}, jax {jax.__version__}"
DEVICES = J.DEVICES
DTYPES = J.DTYPES
environment = J.environment


def skip_reason(op, device, dtype):
    return J.device_skip_reason(device)


# --- batch norm -------------------------------------------------------------------------------------------------------

def _bn(axis, eps, decay, dtype, *, running):
    # Flax's defaults otherwise (use_fast_variance=True, force_float32_reductions=True): the audit is of what
    # users get. param_dtype = the dtype under test, so γ and β are not rounded to Flax's float32 default.
    return nn.BatchNorm(use_running_average=running, axis=axis, momentum=decay, epsilon=eps, param_dtype=dtype)


def _variables(gamma, beta, mean, var):
    return {"params": {"scale": gamma, "bias": beta}, "batch_stats": {"mean": mean, "var": var}}


def _flax_train(x, gamma, beta, eps, axis):
    c = x.shape[axis]
    stats = (jnp.zeros(c, x.dtype), jnp.ones(c, x.dtype))
    y, _ = _bn(axis, eps, 0.9, x.dtype, running=False).apply(_variables(gamma, beta, *stats), x,
                                                                mutable=["batch_stats"])
    return y


@partial(jax.jit, static_argnames=("eps", "axis"))
def _train_jit(x, gamma, beta, eps, axis):
    return _flax_train(x, gamma, beta, eps, axis)


@partial(jax.jit, static_argnames=("eps", "axis"))
def _train_vjp_jit(x, gamma, beta, dy, eps, axis):
    return J.vjp(partial(_flax_train, eps=eps, axis=axis), (x, gamma, beta), dy)


@partial(jax.jit, static_argnames=("decay", "axis"))
def _running_stats_jit(x, running_mean, running_var, decay, axis):
    c = x.shape[axis]
    variables = _variables(jnp.ones(c, x.dtype), jnp.zeros(c, x.dtype), running_mean, running_var)
    # momentum is Flax's name for decay: ra = momentum·ra + (1 − momentum)·batch statistic
    _, updates = _bn(axis, 1e-5, decay, x.dtype, running=False).apply(variables, x, mutable=["batch_stats"])
    return updates["batch_stats"]["mean"], updates["batch_stats"]["var"]


@partial(jax.jit, static_argnames=("eps", "axis"))
def _inference_jit(x, gamma, beta, mean, var, eps, axis):
    return _bn(axis, eps, 0.9, x.dtype, running=True).apply(_variables(gamma, beta, mean, var), x)


def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):
    return J.array(_train_jit(*(J.put(a, device) for a in (x, gamma, beta)), float(eps), axis % x.ndim))


def batch_norm_train_vjp(x, gamma, beta, dy, *, eps=1e-5, axis=1, device):
    grads = _train_vjp_jit(*(J.put(a, device) for a in (x, gamma, beta, dy)), float(eps), axis % x.ndim)
    return tuple(J.array(g) for g in grads)


def batch_norm_running_stats(x, running_mean, running_var, *, decay=0.9, axis=1, device):
    out = _running_stats_jit(*(J.put(a, device) for a in (x, running_mean, running_var)), float(decay), axis % x.ndim)
    return tuple(J.array(o) for o in out)


def batch_norm_inference(x, gamma, beta, mean, var, *, eps=1e-5, axis=1, device):
    return J.array(_inference_jit(*(J.put(a, device) for a in (x, gamma, beta, mean, var)), float(eps),
                                  axis % x.ndim))


# --- norms ------------------------------------------------------------------------------------------------------------
# flax.linen LayerNorm, InstanceNorm and GroupNorm with their default settings (use_fast_variance=True and
# float32 reductions for half inputs): what users get. Flax is channels-last: (N, C, *spatial) is moved to
# (N, *spatial, C) and back. γ, β are set through the variables dict {'params': {'scale', 'bias'}}, in the
# input's dtype, so that the result keeps the input's dtype.


def _channels_last(x):
    return jnp.moveaxis(x, 1, -1)  # NCHW → NHWC (Flax's convention)


def _channels_first(y):
    return jnp.moveaxis(y, -1, 1)  # NHWC → NCHW


def _flax_layer_norm(x, gamma, beta, eps):
    axes = tuple(range(1, x.ndim))  # the whole sample is both reduced and the feature shape of γ, β
    module = nn.LayerNorm(epsilon=eps, reduction_axes=axes, feature_axes=axes)
    return module.apply({"params": {"scale": gamma, "bias": beta}}, x)


def _flax_instance_norm(x, gamma, beta, eps):
    module = nn.InstanceNorm(epsilon=eps)  # reduces over every axis but the batch and the (last) feature axis
    return _channels_first(module.apply({"params": {"scale": gamma, "bias": beta}}, _channels_last(x)))


def _flax_group_norm(x, gamma, beta, groups, eps):
    module = nn.GroupNorm(num_groups=groups, epsilon=eps)
    return _channels_first(module.apply({"params": {"scale": gamma, "bias": beta}}, _channels_last(x)))


@partial(jax.jit, static_argnames=("eps",))
def _layer_norm_jit(x, gamma, beta, eps):
    return _flax_layer_norm(x, gamma, beta, eps)


@partial(jax.jit, static_argnames=("eps",))
def _layer_norm_vjp_jit(x, gamma, beta, dy, eps):
    return J.vjp(partial(_flax_layer_norm, eps=eps), (x, gamma, beta), dy)


@partial(jax.jit, static_argnames=("eps",))
def _instance_norm_jit(x, gamma, beta, eps):
    return _flax_instance_norm(x, gamma, beta, eps)


@partial(jax.jit, static_argnames=("groups", "eps"))
def _group_norm_jit(x, gamma, beta, groups, eps):
    return _flax_group_norm(x, gamma, beta, groups, eps)


@partial(jax.jit, static_argnames=("groups", "eps"))
def _group_norm_vjp_jit(x, gamma, beta, dy, groups, eps):
    return J.vjp(partial(_flax_group_norm, groups=groups, eps=eps), (x, gamma, beta), dy)


def _put3(x, gamma, beta, device):
    return J.put(x, device), J.put(gamma, device), J.put(beta, device)


def layer_norm(x, gamma, beta, *, eps=1e-5, device):
    return J.array(_layer_norm_jit(*_put3(x, gamma, beta, device), float(eps)))


def layer_norm_vjp(x, gamma, beta, dy, *, eps=1e-5, device):
    grads = _layer_norm_vjp_jit(*_put3(x, gamma, beta, device), J.put(dy, device), float(eps))
    return tuple(J.array(g) for g in grads)


def instance_norm(x, gamma, beta, *, eps=1e-5, device):
    return J.array(_instance_norm_jit(*_put3(x, gamma, beta, device), float(eps)))


def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):
    return J.array(_group_norm_jit(*_put3(x, gamma, beta, device), int(groups), float(eps)))


def group_norm_vjp(x, gamma, beta, dy, *, groups, eps=1e-5, device):
    grads = _group_norm_vjp_jit(*_put3(x, gamma, beta, device), J.put(dy, device), int(groups), float(eps))
    return tuple(J.array(g) for g in grads)


# --- pooling ----------------------------------------------------------------------------------------------------------

def _flax_geometry(kernel, stride, padding, ceil_mode, dilation=(1, 1)):
    """Hashable static geometry; flax.linen pooling has no ceil mode and no dilation."""
    if ceil_mode:
        raise Unsupported(f"flax {flax.__version__}: linen pooling has no ceil mode")
    if tuple(int(v) for v in dilation) != (1, 1):
        raise Unsupported(f"flax {flax.__version__}: linen.max_pool has no dilation")
    k = tuple(int(v) for v in kernel)
    s = k if stride is None else tuple(int(v) for v in stride)
    p = padding.upper() if isinstance(padding, str) else tuple((int(b), int(a)) for b, a in padding)
    return k, s, p


def _nhwc(fn, x, *args, **kwargs):
    # flax.linen pooling is channels-last (N, H, W, C): transpose in and out
    return jnp.transpose(fn(jnp.transpose(x, (0, 2, 3, 1)), *args, **kwargs), (0, 3, 1, 2))


def _flax_max(x, kernel, stride, padding):
    return _nhwc(nn.max_pool, x, kernel, strides=stride, padding=padding)


def _flax_avg(x, kernel, stride, padding, count_include_pad):
    return _nhwc(nn.avg_pool, x, kernel, strides=stride, padding=padding, count_include_pad=count_include_pad)


_static = ("kernel", "stride", "padding", "count_include_pad")


@partial(jax.jit, static_argnames=_static[:3])
def _flax_max_pool(x, kernel, stride, padding):
    return _flax_max(x, kernel, stride, padding)


@partial(jax.jit, static_argnames=_static[:3])
def _flax_max_pool_vjp(x, dy, kernel, stride, padding):
    return J.vjp(partial(_flax_max, kernel=kernel, stride=stride, padding=padding), (x,), dy)[0]


@partial(jax.jit, static_argnames=_static)
def _flax_avg_pool(x, kernel, stride, padding, count_include_pad):
    return _flax_avg(x, kernel, stride, padding, count_include_pad)


@partial(jax.jit, static_argnames=_static)
def _flax_avg_pool_vjp(x, dy, kernel, stride, padding, count_include_pad):
    f = partial(_flax_avg, kernel=kernel, stride=stride, padding=padding,
                count_include_pad=count_include_pad)
    return J.vjp(f, (x,), dy)[0]


def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):
    k, s, p = _flax_geometry(kernel, stride, padding, ceil_mode, dilation)
    return J.array(_flax_max_pool(J.put(x, device), k, s, p))


def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,
                   device):
    k, s, p = _flax_geometry(kernel, stride, padding, ceil_mode, dilation)
    return J.array(_flax_max_pool_vjp(J.put(x, device), J.put(dy, device), k, s, p))


def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,
               device):
    k, s, p = _flax_geometry(kernel, stride, padding, ceil_mode)
    return J.array(_flax_avg_pool(J.put(x, device), k, s, p, bool(count_include_pad)))


def avg_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False,
                   count_include_pad=True, device):
    k, s, p = _flax_geometry(kernel, stride, padding, ceil_mode)
    return J.array(_flax_avg_pool_vjp(J.put(x, device), J.put(dy, device), k, s, p, bool(count_include_pad)))
