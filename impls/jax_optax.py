"""JAX through Optax's losses (softmax_cross_entropy, softmax_cross_entropy_with_integer_labels,
sigmoid_binary_cross_entropy, kl_divergence), with jax.grad / jax.vjp for every gradient."""

from __future__ import annotations

import jax
import optax

from . import _jax as J

NAME = "jax:optax"
VERSION = f"optax {optax.__version__}, jax {jax.__version__}"
DEVICES = J.DEVICES
DTYPES = J.DTYPES
environment = J.environment


def skip_reason(op, device, dtype):
    return J.device_skip_reason(device)


# === cross_entropy ===================================================================================
# (section owned by the cross_entropy family)



# === sigmoid ===================================================================================
# (section owned by the sigmoid family)



# === kl ===================================================================================
# (section owned by the kl family)

from functools import partial  # noqa: E402

import jax.numpy as jnp  # noqa: E402


@partial(jax.jit, static_argnames="axis")
def _kl(p, q, axis):
    # optax takes the model as log-probabilities (log_predictions = log q) and the targets p as probabilities
    return optax.kl_divergence(jnp.log(q), p, axis=axis)


@partial(jax.jit, static_argnames="axis")
def _kl_vjp(p, q, dy, axis):
    return J.vjp(lambda qq: _kl(p, qq, axis), (q,), dy)[0]


def kl_divergence(p, q, *, axis=-1, device):
    return J.array(_kl(J.put(p, device), J.put(q, device), axis % p.ndim))  # one jit cache entry per axis


def kl_divergence_vjp(p, q, dy, *, axis=-1, device):
    return J.array(_kl_vjp(J.put(p, device), J.put(q, device), J.put(dy, device), axis % p.ndim))



# === iou ===================================================================================
# (section owned by the iou family)

