"""JAX through Optax's losses (softmax_cross_entropy, softmax_cross_entropy_with_integer_labels,
sigmoid_binary_cross_entropy, kl_divergence), with jax.grad / jax.vjp for every gradient."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import optax

from . import _jax as J
from .interface import Unsupported

NAME = "jax:optax"
VERSION = f"optax {optax.__version__}, jax {jax.__version__}"
DEVICES = J.DEVICES
DTYPES = J.DTYPES
environment = J.environment


def skip_reason(op, device, dtype):
    return J.device_skip_reason(device)


# --- cross entropy ----------------------------------------------------------------------------------------------------
# Optax losses return per-example values; the reduction is the caller's (jnp.mean over the batch / jnp.sum).
_REDUCE = {"none": lambda v: v, "sum": jnp.sum, "mean": jnp.mean}


def _ce_loss(logits, labels, alpha, reduction):
    # label smoothing through Optax's public smooth_labels: (1 − α)·labels + α/num_categories
    return _REDUCE[reduction](optax.softmax_cross_entropy(logits, optax.smooth_labels(labels, alpha)))


def _sparse_loss(logits, labels, reduction):
    return _REDUCE[reduction](optax.softmax_cross_entropy_with_integer_labels(logits, labels))


_ce = jax.jit(_ce_loss, static_argnames="reduction")
_ce_grad = jax.jit(jax.grad(_ce_loss), static_argnames="reduction")
_sparse = jax.jit(_sparse_loss, static_argnames="reduction")
_sparse_grad = jax.jit(jax.grad(_sparse_loss), static_argnames="reduction")


def _alpha(label_smoothing, like):
    return jnp.asarray(label_smoothing, dtype=like.dtype)


def _no_sparse_smoothing(label_smoothing):
    if label_smoothing != 0:
        raise Unsupported("optax.softmax_cross_entropy_with_integer_labels has no label smoothing "
                          "(optax.smooth_labels takes one-hot labels)")


def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    z = J.put(logits, device)
    return J.array(_ce(z, J.put(labels, device), _alpha(label_smoothing, z), reduction=reduction))


def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    z = J.put(logits, device)
    return J.array(_ce_grad(z, J.put(labels, device), _alpha(label_smoothing, z), reduction=reduction))


def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    _no_sparse_smoothing(label_smoothing)
    return J.array(_sparse(J.put(logits, device), J.put(labels, device), reduction=reduction))


def sparse_softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    _no_sparse_smoothing(label_smoothing)
    return J.array(_sparse_grad(J.put(logits, device), J.put(labels, device), reduction=reduction))


# --- sigmoid ----------------------------------------------------------------------------------------------------------

def _binary_smoothed(labels, alpha):
    # a binary label z is the two-category distribution (z, 1 − z); Optax's smooth_labels over those two
    # categories gives (1 − α)z + α/2, the spec's (Keras') binary label smoothing
    return optax.smooth_labels(jnp.stack([labels, 1 - labels], axis=-1), alpha)[..., 0]


def _sce_loss(logits, labels, alpha, reduction):
    # sigmoid_binary_cross_entropy is elementwise; 'mean' is jnp.mean over every element
    return _REDUCE[reduction](optax.sigmoid_binary_cross_entropy(logits, _binary_smoothed(labels, alpha)))


_sce = jax.jit(_sce_loss, static_argnames="reduction")
_sce_grad = jax.jit(jax.grad(_sce_loss), static_argnames="reduction")


def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):
    x = J.put(logits, device)
    return J.array(_sce(x, J.put(labels, device), _alpha(label_smoothing, x), reduction=reduction))


def sigmoid_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    x = J.put(logits, device)
    return J.array(_sce_grad(x, J.put(labels, device), _alpha(label_smoothing, x), reduction=reduction))


# --- kl ---------------------------------------------------------------------------------------------------------------

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
