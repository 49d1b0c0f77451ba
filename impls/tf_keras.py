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

from functools import lru_cache as _lru_cache  # noqa: E402


@_lru_cache(maxsize=64)
def _bn_layer(shape, axis, eps, dtype):
    """One BatchNormalization layer per configuration, built once; its weights are assigned per call."""
    layer = keras.layers.BatchNormalization(axis=axis, epsilon=eps, dtype=dtype)
    layer.build(shape)
    return layer


def _bn_for(x, axis, eps):
    return _bn_layer(x.shape, axis % x.ndim, float(eps), "bfloat16" if x.dtype.name == "bfloat16" else x.dtype.name)


def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):
    layer = _bn_for(x, axis, eps)

    def go():
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
        return T.array(layer(T.constant(x), training=True))

    return T.run(device, go)


def batch_norm_train_vjp(x, gamma, beta, dy, *, eps=1e-5, axis=1, device):
    layer = _bn_for(x, axis, eps)

    def go():
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
        t = T.constant(x)
        with tf.GradientTape() as tape:  # γ and β are the layer's own variables: differentiate w.r.t. them
            tape.watch(t)
            y = layer(t, training=True)
        grads = tape.gradient(y, [t, layer.gamma.value, layer.beta.value], output_gradients=T.constant(dy))
        return tuple(T.array(g) for g in grads)

    return T.run(device, go)


def batch_norm_running_stats(x, running_mean, running_var, *, decay=0.9, axis=1, device):
    layer = _bn_for(x, axis, 1e-3)

    def go():
        # Keras' momentum is the old state's weight (moving = momentum·moving + (1 − momentum)·batch): decay
        layer.momentum = decay
        layer.moving_mean.assign(running_mean)
        layer.moving_variance.assign(running_var)
        layer(T.constant(x), training=True)
        return T.array(layer.moving_mean.value), T.array(layer.moving_variance.value)

    return T.run(device, go)


def batch_norm_inference(x, gamma, beta, mean, var, *, eps=1e-5, axis=1, device):
    layer = _bn_for(x, axis, eps)

    def go():
        for v, a in ((layer.gamma, gamma), (layer.beta, beta), (layer.moving_mean, mean), (layer.moving_variance, var)):
            v.assign(a)
        return T.array(layer(T.constant(x), training=False))  # inference normalises with the moving statistics

    return T.run(device, go)




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

