"""Keras 3 on the TensorFlow backend (keras.layers.BatchNormalization, LayerNormalization, GroupNormalization,
keras.losses CategoricalCrossentropy / BinaryCrossentropy / KLDivergence, keras.metrics.MeanIoU), with
tf.GradientTape for every gradient. KERAS_BACKEND is set to tensorflow before keras is first imported."""

from __future__ import annotations

import os
from functools import cache, lru_cache

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import tensorflow as tf

from . import _tf as T
from .interface import Unsupported

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


# --- batch norm -------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=64)
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


# --- norms ------------------------------------------------------------------------------------------------------------
# keras.layers.LayerNormalization and GroupNormalization, built once per (shape, dtype, groups, eps) and cached;
# γ, β set with .assign. The layer's dtype is the input's, so that no policy casts the input before the layer
# sees it. Keras has no instance normalization layer: not provided (GroupNormalization(groups=C) would be ours).


@cache
def _keras_layer_norm(shape, dtype, eps):
    layer = keras.layers.LayerNormalization(axis=list(range(1, len(shape))), epsilon=eps, dtype=dtype)
    layer.build(shape)
    return layer


@cache
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


# --- cross entropy ----------------------------------------------------------------------------------------------------
# Keras' reductions: None → per-sample losses; 'sum'; 'sum_over_batch_size' → sum ÷ number of per-sample
# losses (N for a categorical loss), i.e. the spec's 'mean'.
_KERAS_REDUCTION = {"none": None, "sum": "sum", "mean": "sum_over_batch_size"}


@lru_cache
def _keras_loss(cls_name, reduction, dtype, **kwargs):
    # one loss object per configuration; dtype: Keras losses compute in floatx (float32) unless told otherwise
    return getattr(keras.losses, cls_name)(from_logits=True, reduction=_KERAS_REDUCTION[reduction],
                                           dtype=dtype, **kwargs)


def _scalar_one(x):
    return np.ones((), dtype=x.dtype)  # the cotangent of a scalar loss


def _cce(logits, reduction, label_smoothing):
    return _keras_loss("CategoricalCrossentropy", reduction, str(logits.dtype), label_smoothing=label_smoothing)


def _scce(logits, reduction, label_smoothing):
    if label_smoothing != 0:
        raise Unsupported(f"keras {keras.__version__}: SparseCategoricalCrossentropy has no label_smoothing")
    return _keras_loss("SparseCategoricalCrossentropy", reduction, str(logits.dtype))


def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    loss = _cce(logits, reduction, label_smoothing)
    return T.run(device, lambda: T.array(loss(T.constant(labels), T.constant(logits))))  # Keras: (y_true, y_pred)


def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    loss = _cce(logits, reduction, label_smoothing)
    return T.vjp(lambda z, t: loss(t, z), [logits, labels], _scalar_one(logits), device, wrt=[0])[0]


def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    loss = _scce(logits, reduction, label_smoothing)
    return T.run(device, lambda: T.array(loss(T.constant(labels), T.constant(logits))))


def sparse_softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    loss = _scce(logits, reduction, label_smoothing)
    return T.vjp(lambda z, y: loss(y, z), [logits, labels], _scalar_one(logits), device, wrt=[0])[0]


# --- sigmoid ----------------------------------------------------------------------------------------------------------

def sigmoid(x, *, device):
    return T.run(device, lambda: T.array(keras.activations.sigmoid(T.constant(x))))


def sigmoid_vjp(x, dy, *, device):
    return T.vjp(keras.activations.sigmoid, [x], dy, device)[0]


def _bce(logits, reduction, label_smoothing):
    return _keras_loss("BinaryCrossentropy", reduction, str(logits.dtype), label_smoothing=label_smoothing)


def _one_per_last_axis(a):
    # BinaryCrossentropy averages over the last axis before reducing; a trailing axis of length 1 makes that
    # average the identity, so reduction None gives the elementwise losses and 'sum_over_batch_size' the mean
    # over every element (the spec's reductions)
    return T.constant(a[..., None])


def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):
    loss = _bce(logits, reduction, label_smoothing)
    return T.run(device, lambda: T.array(loss(_one_per_last_axis(labels), _one_per_last_axis(logits))))


def sigmoid_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    loss = _bce(logits, reduction, label_smoothing)
    return T.vjp(lambda x, z: loss(z[..., None], x[..., None]), [logits, labels], _scalar_one(logits), device,
                 wrt=[0])[0]


# --- kl ---------------------------------------------------------------------------------------------------------------

@cache
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


# --- iou --------------------------------------------------------------------------------------------------------------
# Keras' MeanIoU casts its int confusion matrix to float32 and divides TP / (denominator + backend.epsilon()),
# then Σ IoU / (number of valid classes + backend.epsilon()), whatever the metric's `dtype`: its result is float32.
_MEAN_IOU: dict[tuple[int, int | None, str], keras.metrics.MeanIoU] = {}


def mean_iou(pred, target, *, num_classes, ignore_index=None, device):
    def go():
        key = (num_classes, ignore_index, device)
        metric = _MEAN_IOU.get(key)
        if metric is None:  # one metric object per configuration; its state is reset for every call
            # Keras names the ignored label `ignore_class` (elements whose y_true equals it are dropped)
            metric = _MEAN_IOU[key] = keras.metrics.MeanIoU(num_classes=num_classes, ignore_class=ignore_index)
        metric.reset_state()
        metric.update_state(target, pred)  # Keras' argument order is (y_true, y_pred)
        return T.array(metric.result())

    return T.run(device, go)
