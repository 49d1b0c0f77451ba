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

import numpy as np  # noqa: E402

from .interface import Unsupported  # noqa: E402

# tf.nn losses return per-example values; the reduction is the caller's (tf.reduce_mean / tf.reduce_sum).
_TF_REDUCE = {"none": lambda v: v, "sum": tf.reduce_sum, "mean": tf.reduce_mean}


def _no_smoothing(label_smoothing, api):
    if label_smoothing != 0:
        raise Unsupported(f"{api} has no label smoothing")


def _scalar_one(x):
    return np.ones((), dtype=x.dtype)  # the cotangent of a scalar loss


def _tf_ce(z, t, reduction):
    return _TF_REDUCE[reduction](tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z))


def _tf_sparse(z, y, reduction):
    return _TF_REDUCE[reduction](tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z))


def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    _no_smoothing(label_smoothing, "tf.nn.softmax_cross_entropy_with_logits")
    return T.run(device, lambda: T.array(_tf_ce(T.constant(logits), T.constant(labels), reduction)))


def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    _no_smoothing(label_smoothing, "tf.nn.softmax_cross_entropy_with_logits")
    return T.vjp(lambda z, t: _tf_ce(z, t, reduction), [logits, labels], _scalar_one(logits), device, wrt=[0])[0]


def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    _no_smoothing(label_smoothing, "tf.nn.sparse_softmax_cross_entropy_with_logits")
    return T.run(device, lambda: T.array(_tf_sparse(T.constant(logits), T.constant(labels), reduction)))


def sparse_softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    _no_smoothing(label_smoothing, "tf.nn.sparse_softmax_cross_entropy_with_logits")
    return T.vjp(lambda z, y: _tf_sparse(z, y, reduction), [logits, labels], _scalar_one(logits), device,
                 wrt=[0])[0]


# === sigmoid ===================================================================================
# (section owned by the sigmoid family)

def sigmoid(x, *, device):
    return T.run(device, lambda: T.array(tf.math.sigmoid(T.constant(x))))


def sigmoid_vjp(x, dy, *, device):
    return T.vjp(tf.math.sigmoid, [x], dy, device)[0]


def _tf_sce(x, z, reduction):
    # elementwise; 'mean' is tf.reduce_mean over every element
    return _TF_REDUCE[reduction](tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x))


def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):
    _no_smoothing(label_smoothing, "tf.nn.sigmoid_cross_entropy_with_logits")
    return T.run(device, lambda: T.array(_tf_sce(T.constant(logits), T.constant(labels), reduction)))


def sigmoid_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    _no_smoothing(label_smoothing, "tf.nn.sigmoid_cross_entropy_with_logits")
    return T.vjp(lambda x, z: _tf_sce(x, z, reduction), [logits, labels], _scalar_one(logits), device, wrt=[0])[0]


# === kl ===================================================================================
# (section owned by the kl family)



# === conv ===================================================================================
# (section owned by the conv family)



def _conv_call(x, w, b, stride, padding, dilation, groups):
    """tf.nn.conv2d on NCHW/OIHW tensors. tf.nn.conv2d's CPU kernels take NHWC inputs and HWIO filters (its
    convention): transpose in and out. Groups are implicit there: in-channels = groups × filter in-channels."""
    pair = lambda v: [int(a) for a in np.broadcast_to(np.ravel(v), 2)]  # noqa: E731
    if isinstance(padding, str):
        pad = padding.upper()  # 'SAME' (the odd cell after) / 'VALID'
    else:
        p = np.asarray(padding)
        (t, bo), (le, r) = [(int(p),) * 2] * 2 if p.ndim == 0 else [(int(a),) * 2 for a in p] if p.ndim == 1 \
            else [(int(a), int(c)) for a, c in p]
        pad = [[0, 0], [t, bo], [le, r], [0, 0]]  # explicit padding, NHWC order
    y = tf.nn.conv2d(tf.transpose(x, [0, 2, 3, 1]), tf.transpose(w, [2, 3, 1, 0]), strides=pair(stride), padding=pad,
                     dilations=pair(dilation))
    if b is not None:
        y = tf.nn.bias_add(y, b)  # NHWC: the bias is per last-axis channel
    return tf.transpose(y, [0, 3, 1, 2])


def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    return T.run(device, lambda: T.array(_conv_call(T.constant(x), T.constant(w), None if b is None else T.constant(b),
                                                    stride, padding, dilation, groups)))


def conv2d_vjp(x, w, b, dy, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    primals = [x, w] if b is None else [x, w, b]
    return T.vjp(lambda *t: _conv_call(t[0], t[1], t[2] if len(t) > 2 else None, stride, padding, dilation, groups),
                 primals, dy, device)




# === pooling ===================================================================================
# (section owned by the pooling family)

