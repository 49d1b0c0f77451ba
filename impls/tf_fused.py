"""TensorFlow's fused batch-norm kernel, tf.compat.v1.nn.fused_batch_norm (the public path to it in TF 2),
a column of its own beside tf.nn.batch_normalization and Keras' BatchNormalization."""

from __future__ import annotations

import tensorflow as tf

from . import _tf as T

NAME = "tensorflow:fused_batch_norm"
VERSION = tf.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# === batch_norm ===================================================================================
# (section owned by the batch_norm family)

