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
# (section owned by the norms family)



# === cross_entropy ===================================================================================
# (section owned by the cross_entropy family)



# === sigmoid ===================================================================================
# (section owned by the sigmoid family)



# === kl ===================================================================================
# (section owned by the kl family)

import functools  # noqa: E402


@functools.cache
def _kl_loss(dtype: str) -> keras.losses.KLDivergence:
    # dtype= is the loss's computation dtype (Keras' default is floatx, float32): the input's dtype is asked for;
    # reduction=None keeps one loss per distribution
    return keras.losses.KLDivergence(reduction=None, dtype=dtype)


def _kld(p, q, axis):
    # Keras reduces the last axis only: the distribution's axis is moved there (a layout convention);
    # y_true is the target p, y_pred the model q (Keras' argument order)
    move = tf.experimental.numpy.moveaxis
    return _kl_loss(p.dtype.name)(move(p, axis, -1), move(q, axis, -1))


def kl_divergence(p, q, *, axis=-1, device):
    return T.run(device, lambda: T.array(_kld(T.constant(p), T.constant(q), axis)))


def kl_divergence_vjp(p, q, dy, *, axis=-1, device):
    return T.vjp(lambda pt, qt: _kld(pt, qt, axis), [p, q], dy, device, wrt=[1])[0]



# === conv ===================================================================================
# (section owned by the conv family)



# === pooling ===================================================================================
# (section owned by the pooling family)



# === iou ===================================================================================
# (section owned by the iou family)

