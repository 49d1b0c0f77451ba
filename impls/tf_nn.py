"""TensorFlow through tf.nn (and tf.compat.v1.nn where that is the public path), with tf.GradientTape for
every gradient. Eager execution: tf.function would retrace per shape and, cached, is slower per call."""

from __future__ import annotations

import tensorflow as tf

from . import _tf as T

NAME = "tensorflow:nn"
VERSION = tf.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# === softmax ===================================================================================

def softmax(x, *, axis=-1, device):
    return T.run(device, lambda: T.array(tf.nn.softmax(T.constant(x), axis=axis)))


def log_softmax(x, *, axis=-1, device):
    return T.run(device, lambda: T.array(tf.nn.log_softmax(T.constant(x), axis=axis)))


def softmax_vjp(x, dy, *, axis=-1, device):
    return T.vjp(lambda t: tf.nn.softmax(t, axis=axis), [x], dy, device)[0]


def log_softmax_vjp(x, dy, *, axis=-1, device):
    return T.vjp(lambda t: tf.nn.log_softmax(t, axis=axis), [x], dy, device)[0]


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

