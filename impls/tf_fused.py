"""TensorFlow's fused batch-norm kernel, tf.compat.v1.nn.fused_batch_norm (the public path to it in TF 2),
a column of its own beside tf.nn.batch_normalization and Keras' BatchNormalization."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from . import _tf as T
from .interface import Unsupported

NAME = "tensorflow:fused_batch_norm"
VERSION = tf.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# --- batch norm -------------------------------------------------------------------------------------------------------

def _nhwc(t, axis):
    """The fused kernel wants 4-D NHWC (CPU has no NCHW): channels moved last, (N, C) viewed as (N, 1, 1, C)."""
    rank = t.shape.rank
    ax = axis % rank
    perm = [d for d in range(rank) if d != ax] + [ax]
    moved = tf.transpose(t, perm)
    return tf.reshape(moved, [moved.shape[0], 1, 1, moved.shape[-1]]) if rank == 2 else moved, perm


def _from_nhwc(y, perm, shape):
    if len(shape) == 2:
        return tf.reshape(y, shape)
    return tf.transpose(y, np.argsort(perm))


def _u(t):
    """The kernel's U type: per-channel vectors are float32 for half and bfloat16 inputs, else t's dtype."""
    return tf.float32 if t.dtype in (tf.float16, tf.bfloat16) else t.dtype


def _param(a, t):
    return tf.cast(T.constant(a), _u(t))


def _fused(device, fn):
    try:
        return T.run(device, fn)
    except tf.errors.InvalidArgumentError as e:
        if "not in the list of allowed values" in str(e):  # no float64 kernel: T ∈ {half, bfloat16, float}
            raise Unsupported(f"tensorflow {tf.__version__}: fused_batch_norm: {str(e).splitlines()[0][:160]}"
                              ) from None
        raise


def _bn_train(eps, axis):
    def forward(t, g, b):
        n, perm = _nhwc(t, axis)
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(n, tf.cast(g, _u(t)), tf.cast(b, _u(t)), epsilon=eps,
                                                   data_format="NHWC", is_training=True)
        return _from_nhwc(y, perm, t.shape)

    return forward


def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):
    return _fused(device, lambda: T.array(_bn_train(eps, axis)(*(T.constant(a) for a in (x, gamma, beta)))))


def batch_norm_train_vjp(x, gamma, beta, dy, *, eps=1e-5, axis=1, device):
    return _fused(device, lambda: T.vjp(_bn_train(eps, axis), [x, gamma, beta], dy, device))


def batch_norm_running_stats(x, running_mean, running_var, *, decay=0.9, axis=1, device):
    def go():
        t = T.constant(x)
        n, _ = _nhwc(t, axis)
        c = n.shape[-1]
        ones, zeros = _param(np.ones(c, x.dtype), t), _param(np.zeros(c, x.dtype), t)
        # is_training with exponential_avg_factor = 1 − decay (the batch's weight): the returned "batch" mean
        # and variance are the moving averages (1 − f)·running + f·batch statistic
        _, new_mean, new_var = tf.compat.v1.nn.fused_batch_norm(
            n, ones, zeros, mean=_param(running_mean, t), variance=_param(running_var, t), epsilon=1e-5,
            data_format="NHWC", is_training=True, exponential_avg_factor=1 - decay)
        return T.array(new_mean), T.array(new_var)

    return _fused(device, go)


def batch_norm_inference(x, gamma, beta, mean, var, *, eps=1e-5, axis=1, device):
    def go():
        t = T.constant(x)
        n, perm = _nhwc(t, axis)
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(n, *(_param(a, t) for a in (gamma, beta)), mean=_param(mean, t),
                                                   variance=_param(var, t), epsilon=eps, data_format="NHWC",
                                                   is_training=False)
        return T.array(_from_nhwc(y, perm, t.shape))

    return _fused(device, go)
