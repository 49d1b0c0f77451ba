"""TensorFlow through tf.nn, with tf.GradientTape for every gradient (the fused batch-norm kernel, reached through
tf.compat.v1.nn, is the column tensorflow:fused_batch_norm). Eager execution: tf.function would retrace per
shape and, cached, is slower per call."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from . import _tf as T
from .interface import Unsupported

NAME = "tensorflow:nn"
VERSION = tf.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# --- softmax ----------------------------------------------------------------------------------------------------------

def softmax(x, *, axis=-1, device):
    return T.run(device, lambda: T.array(tf.nn.softmax(T.constant(x), axis=axis)))


def log_softmax(x, *, axis=-1, device):
    return T.run(device, lambda: T.array(tf.nn.log_softmax(T.constant(x), axis=axis)))


def softmax_vjp(x, dy, *, axis=-1, device):
    return T.vjp(lambda t: tf.nn.softmax(t, axis=axis), [x], dy, device)[0]


def log_softmax_vjp(x, dy, *, axis=-1, device):
    return T.vjp(lambda t: tf.nn.log_softmax(t, axis=axis), [x], dy, device)[0]


# --- batch norm -------------------------------------------------------------------------------------------------------

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


# --- cross entropy ----------------------------------------------------------------------------------------------------
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


# --- sigmoid ----------------------------------------------------------------------------------------------------------

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


def sigmoid_cross_entropy_with_pos_weight(logits, labels, pos_weight, *, reduction="none", device):
    # elementwise, pos_weight broadcast against the logits; 'mean' is tf.reduce_mean over every element
    return T.run(device, lambda: T.array(_TF_REDUCE[reduction](tf.nn.weighted_cross_entropy_with_logits(
        labels=T.constant(labels), logits=T.constant(logits), pos_weight=T.constant(pos_weight)))))


# --- conv -------------------------------------------------------------------------------------------------------------

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


# --- pooling ----------------------------------------------------------------------------------------------------------

def _tf_pool_geometry(kernel, stride, padding, ceil_mode, dilation=(1, 1), *, explicit=True):
    """tf.nn pooling: no ceil mode, no dilation; padding 'SAME'/'VALID', or (tf.nn.max_pool2d only) explicit
    NHWC pairs [[0, 0], [top, bottom], [left, right], [0, 0]]."""
    if ceil_mode:
        raise T.Unsupported(f"tensorflow {tf.__version__}: tf.nn pooling has no ceil mode")
    if tuple(int(v) for v in dilation) != (1, 1):
        raise T.Unsupported(f"tensorflow {tf.__version__}: tf.nn.max_pool2d has no dilation")
    k = [int(v) for v in kernel]
    s = k if stride is None else [int(v) for v in stride]
    if isinstance(padding, str):
        return k, s, padding.upper()
    pairs = [[int(b), int(a)] for b, a in padding]
    if not any(map(any, pairs)):
        return k, s, "VALID"  # zero explicit padding is 'VALID'
    if not explicit:
        raise T.Unsupported(f"tensorflow {tf.__version__}: this tf.nn pooling op takes only 'SAME'/'VALID'")
    return k, s, [[0, 0], *pairs, [0, 0]]


def _nhwc(t):
    return tf.transpose(t, (0, 2, 3, 1))  # tf.nn pooling on CPU is channels-last (NHWC)


def _nchw(t):
    return tf.transpose(t, (0, 3, 1, 2))


def _tf_max(t, k, s, p):
    return _nchw(tf.nn.max_pool2d(_nhwc(t), k, s, p))


def _tf_avg(t, k, s, p):
    return _nchw(tf.nn.avg_pool2d(_nhwc(t), k, s, p))


def _tf_avg_geometry(x, kernel, stride, padding, ceil_mode, count_include_pad):
    k, s, p = _tf_pool_geometry(kernel, stride, padding, ceil_mode, explicit=False)
    if count_include_pad and p == "SAME" and any(
            -(-n // st) * st - st + kk > n for n, kk, st in zip(x.shape[2:], k, s)):
        # tf.nn.avg_pool2d has no count_include_pad: its 'SAME' divides by the input cells only
        raise T.Unsupported(f"tensorflow {tf.__version__}: tf.nn.avg_pool2d cannot count 'SAME' padding")
    return k, s, p


def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):
    k, s, p = _tf_pool_geometry(kernel, stride, padding, ceil_mode, dilation)
    return T.run(device, lambda: T.array(_tf_max(T.constant(x), k, s, p)))


def max_pool2d_with_indices(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1),
                            ceil_mode=False, device):
    k, s, p = _tf_pool_geometry(kernel, stride, padding, ceil_mode, dilation, explicit=False)
    C = x.shape[1]

    def go():
        y, arg = tf.nn.max_pool_with_argmax(_nhwc(T.constant(x)), k, s, p, include_batch_in_index=False)
        # TF flattens NHWC without the batch: arg = (h·W + w)·C + c; the spec's plane index is h·W + w = arg // C
        return T.array(_nchw(y)), T.array(_nchw(arg // C)).astype("int64")

    return T.run(device, go)


def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,
                   device):
    k, s, p = _tf_pool_geometry(kernel, stride, padding, ceil_mode, dilation)
    return T.vjp(lambda t: _tf_max(t, k, s, p), [x], dy, device)[0]


def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,
               device):
    k, s, p = _tf_avg_geometry(x, kernel, stride, padding, ceil_mode, count_include_pad)
    return T.run(device, lambda: T.array(_tf_avg(T.constant(x), k, s, p)))


def avg_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False,
                   count_include_pad=True, device):
    k, s, p = _tf_avg_geometry(x, kernel, stride, padding, ceil_mode, count_include_pad)
    return T.vjp(lambda t: _tf_avg(t, k, s, p), [x], dy, device)[0]
