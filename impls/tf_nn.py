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

def _bn_channel_shape(t, axis):
    shape = [1] * t.shape.rank
    shape[axis % t.shape.rank] = -1
    return shape


def _bn_train(eps, axis):
    def forward(t, g, b):
        ax = axis % t.shape.rank
        mean, var = tf.nn.moments(t, [d for d in range(t.shape.rank) if d != ax], keepdims=True)
        shape = _bn_channel_shape(t, axis)  # tf.nn.batch_normalization broadcasts: γ, β shaped along the axis
        return tf.nn.batch_normalization(t, mean, var, offset=tf.reshape(b, shape), scale=tf.reshape(g, shape),
                                         variance_epsilon=eps)

    return forward


def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):
    return T.run(device, lambda: T.array(_bn_train(eps, axis)(*(T.constant(a) for a in (x, gamma, beta)))))


def batch_norm_train_vjp(x, gamma, beta, dy, *, eps=1e-5, axis=1, device):
    return T.vjp(_bn_train(eps, axis), [x, gamma, beta], dy, device)


def batch_norm_inference(x, gamma, beta, mean, var, *, eps=1e-5, axis=1, device):
    def go():
        t = T.constant(x)
        shape = _bn_channel_shape(t, axis)  # per-channel vectors shaped to broadcast along the channel axis
        g, b, e, v = (tf.reshape(T.constant(a), shape) for a in (gamma, beta, mean, var))
        return T.array(tf.nn.batch_normalization(t, e, v, offset=b, scale=g, variance_epsilon=eps))

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

