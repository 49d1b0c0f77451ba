"""Keras 3 on the TensorFlow backend (keras.layers.BatchNormalization, LayerNormalization, GroupNormalization,
keras.losses CategoricalCrossentropy / BinaryCrossentropy / KLDivergence, keras.metrics.MeanIoU), with
tf.GradientTape for every gradient. KERAS_BACKEND is set to tensorflow before keras is first imported."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import tensorflow as tf

from . import _tf as T

NAME = "tensorflow:keras"
VERSION = f"keras {keras.__version__}, tensorflow {tf.__version__}"
DEVICES = T.DEVICES
DTYPES = T.DTYPES


def environment():
    return {**T.environment(), "keras_backend": keras.backend.backend()}


def skip_reason(op, device, dtype):
    if keras.backend.backend() != "tensorflow":
        return f"keras is configured for the {keras.backend.backend()!r} backend, not tensorflow"
    return T.device_skip_reason(device)


# === batch_norm ===================================================================================
# (section owned by the batch_norm family)



# === norms ===================================================================================
# keras.layers.LayerNormalization and GroupNormalization, built once per (shape, dtype, groups, eps) and cached;
# γ, β set with .assign. The layer's dtype is the input's, so that no policy casts the input before the layer
# sees it. Keras has no instance normalization layer: not provided (GroupNormalization(groups=C) would be ours).
from functools import cache as _cache  # noqa: E402

import numpy as np  # noqa: E402


@_cache
def _keras_layer_norm(shape, dtype, eps):
    layer = keras.layers.LayerNormalization(axis=list(range(1, len(shape))), epsilon=eps, dtype=dtype)
    layer.build(shape)
    return layer


@_cache
def _keras_group_norm(shape, dtype, groups, eps):
    layer = keras.layers.GroupNormalization(groups=groups, axis=1, epsilon=eps, dtype=dtype)  # channels-first
    layer.build(shape)
    return layer


def _dtype_name(x):
    return np.dtype(x.dtype).name  # 'bfloat16' for ml_dtypes.bfloat16


def _with_params(layer, gamma, beta):
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return layer


def layer_norm(x, gamma, beta, *, eps=1e-5, device):
    def go():
        layer = _with_params(_keras_layer_norm(x.shape, _dtype_name(x), float(eps)), gamma, beta)
        return T.array(layer(T.constant(x)))

    return T.run(device, go)


def layer_norm_vjp(x, gamma, beta, dy, *, eps=1e-5, device):
    def go():
        layer = _with_params(_keras_layer_norm(x.shape, _dtype_name(x), float(eps)), gamma, beta)
        xt, dyt = T.constant(x), T.constant(dy)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = layer(xt)
        dx, dgamma, dbeta = tape.gradient(y, [xt, layer.gamma.value, layer.beta.value], output_gradients=dyt)
        return T.array(dx), T.array(dgamma), T.array(dbeta)

    return T.run(device, go)


def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):
    def go():
        layer = _with_params(_keras_group_norm(x.shape, _dtype_name(x), int(groups), float(eps)), gamma, beta)
        return T.array(layer(T.constant(x)))

    return T.run(device, go)


def group_norm_vjp(x, gamma, beta, dy, *, groups, eps=1e-5, device):
    def go():
        layer = _with_params(_keras_group_norm(x.shape, _dtype_name(x), int(groups), float(eps)), gamma, beta)
        xt, dyt = T.constant(x), T.constant(dy)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = layer(xt)
        dx, dgamma, dbeta = tape.gradient(y, [xt, layer.gamma.value, layer.beta.value], output_gradients=dyt)
        return T.array(dx), T.array(dgamma), T.array(dbeta)

    return T.run(device, go)



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

