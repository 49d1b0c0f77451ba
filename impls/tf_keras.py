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

# Keras' MeanIoU casts its int confusion matrix to float32 and divides TP / (denominator + backend.epsilon()),
# then Σ IoU / (number of valid classes + backend.epsilon()), whatever the metric's `dtype`: its result is float32.
_MEAN_IOU: dict[tuple[int, str], keras.metrics.MeanIoU] = {}


def mean_iou(pred, target, *, num_classes, device):
    def go():
        metric = _MEAN_IOU.get((num_classes, device))
        if metric is None:  # one metric object per configuration; its state is reset for every call
            metric = _MEAN_IOU[(num_classes, device)] = keras.metrics.MeanIoU(num_classes=num_classes)
        metric.reset_state()
        metric.update_state(target, pred)  # Keras' argument order is (y_true, y_pred)
        return T.array(metric.result())

    return T.run(device, go)

