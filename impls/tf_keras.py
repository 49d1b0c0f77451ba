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



# === conv ===================================================================================
# (section owned by the conv family)



# === pooling ===================================================================================
# (section owned by the pooling family)



# === iou ===================================================================================
# (section owned by the iou family)

