"""JAX through Flax's layers (flax.linen BatchNorm with its running averages, LayerNorm, GroupNorm, and the
pooling functions avg_pool/max_pool), with jax.vjp for every gradient."""

from __future__ import annotations

import flax
import jax

from . import _jax as J

NAME = "jax:flax"
VERSION = f"flax {flax.__version__}, jax {jax.__version__}"
DEVICES = J.DEVICES
DTYPES = J.DTYPES
environment = J.environment


def skip_reason(op, device, dtype):
    return J.device_skip_reason(device)


# === batch_norm ===================================================================================
# (section owned by the batch_norm family)



# === norms ===================================================================================
# flax.linen LayerNorm, InstanceNorm and GroupNorm with their default settings (use_fast_variance=True and
# float32 reductions for half inputs): what users get. Flax is channels-last: (N, C, *spatial) is moved to
# (N, *spatial, C) and back. γ, β are set through the variables dict {'params': {'scale', 'bias'}}, in the
# input's dtype, so that the result keeps the input's dtype.
from functools import partial as _partial  # noqa: E402

import flax.linen as _nn  # noqa: E402


def _channels_last(x):
    return jax.numpy.moveaxis(x, 1, -1)  # NCHW → NHWC (Flax's convention)


def _channels_first(y):
    return jax.numpy.moveaxis(y, -1, 1)  # NHWC → NCHW


def _flax_layer_norm(x, gamma, beta, eps):
    axes = tuple(range(1, x.ndim))  # the whole sample is both reduced and the feature shape of γ, β
    module = _nn.LayerNorm(epsilon=eps, reduction_axes=axes, feature_axes=axes)
    return module.apply({"params": {"scale": gamma, "bias": beta}}, x)


def _flax_instance_norm(x, gamma, beta, eps):
    module = _nn.InstanceNorm(epsilon=eps)  # reduces over every axis but the batch and the (last) feature axis
    return _channels_first(module.apply({"params": {"scale": gamma, "bias": beta}}, _channels_last(x)))


def _flax_group_norm(x, gamma, beta, groups, eps):
    module = _nn.GroupNorm(num_groups=groups, epsilon=eps)
    return _channels_first(module.apply({"params": {"scale": gamma, "bias": beta}}, _channels_last(x)))


@_partial(jax.jit, static_argnames=("eps",))
def _layer_norm_jit(x, gamma, beta, eps):
    return _flax_layer_norm(x, gamma, beta, eps)


@_partial(jax.jit, static_argnames=("eps",))
def _layer_norm_vjp_jit(x, gamma, beta, dy, eps):
    return J.vjp(_partial(_flax_layer_norm, eps=eps), (x, gamma, beta), dy)


@_partial(jax.jit, static_argnames=("eps",))
def _instance_norm_jit(x, gamma, beta, eps):
    return _flax_instance_norm(x, gamma, beta, eps)


@_partial(jax.jit, static_argnames=("groups", "eps"))
def _group_norm_jit(x, gamma, beta, groups, eps):
    return _flax_group_norm(x, gamma, beta, groups, eps)


@_partial(jax.jit, static_argnames=("groups", "eps"))
def _group_norm_vjp_jit(x, gamma, beta, dy, groups, eps):
    return J.vjp(_partial(_flax_group_norm, groups=groups, eps=eps), (x, gamma, beta), dy)


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



# === conv ===================================================================================
# (section owned by the conv family)



# === pooling ===================================================================================
# (section owned by the pooling family)

