"""Mutants of the sigmoid family."""

from __future__ import annotations

import numpy as np

from ..impls import numpy_ as base
from ..impls.numpy_._common import reduce_loss
from . import mutant


@mutant("sigmoid-ce-unstable-form", "−z log σ(x) − (1 − z) log(1 − σ(x)): ∞ or NaN once σ rounds to 0 or 1")
def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):
    x = logits.astype(np.float64)
    z = labels * (1 - label_smoothing) + label_smoothing / 2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = 1 / (1 + np.exp(-x))
        per = -z * np.log(s) - (1 - z) * np.log(1 - s)
    out = per if reduction == "none" else (per.sum() if reduction == "sum" else per.mean())
    return np.asarray(out).astype(logits.dtype)


@mutant("sigmoid-vjp-without-one-minus-sigma", "the sigmoid backward taken as σ(x)·dy")
def sigmoid_vjp(x, dy, *, device):
    return (base.sigmoid(x, device=device) * dy).astype(x.dtype)


@mutant("sigmoid-ce-grad-sign-flipped", "∂ℓ/∂x taken as z − σ(x)")
def sigmoid_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return -base.sigmoid_cross_entropy_grad(logits, labels, reduction=reduction, label_smoothing=label_smoothing,
                                            device=device)


# --- inferior algorithms and reach: each a behaviour seen in a real kernel --------------------------------------------

def _acc(x):
    return np.float32 if x.dtype == np.float16 else x.dtype


def _reduce(losses, reduction):
    if reduction == "none":
        return losses
    total = np.cumsum(losses.ravel(), dtype=losses.dtype)[-1] if losses.size else losses.dtype.type(0)
    return total / losses.size if reduction == "mean" else total


@mutant("sigmoid-via-tanh",
        "σ(x) = (1 + tanh(x/2))/2: 1 + tanh cancels for x << 0, losing all relative accuracy (the form "
        "clab/dynet#761 adopted; its cancellation is clab/dynet#1090, outputs of ±6e-8 at x = −17)")
def sigmoid(x, *, device):
    return (0.5 * (1 + np.tanh(0.5 * x.astype(_acc(x))))).astype(x.dtype)


@mutant("sigmoid-exp-ratio-overflows",
        "σ(x) = e^x/(1 + e^x) for every x: inf/inf = NaN once e^x overflows (clab/dynet#1525: NaN or 0.5 for "
        "logistic(89) in float32)")
def sigmoid(x, *, device):  # noqa: F811
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return (e / (1 + e)).astype(x.dtype)


@mutant("bce-probability-clipping",
        "binary cross-entropy of σ(x) clipped to [1e-7, 1 − 1e-7] (Keras' binary_crossentropy from "
        "probabilities): the loss saturates at −log(1e-7) ≈ 16.1 (tensorflow/tensorflow#41595, keras-team/keras#15249)")
def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):  # noqa: F811
    x = logits.astype(np.float64)
    z = labels * (1 - label_smoothing) + label_smoothing / 2
    p = np.clip(base.sigmoid(x, device=device), 1e-7, 1 - 1e-7)
    per = -z * np.log(p) - (1 - z) * np.log(1 - p)
    out = per if reduction == "none" else (per.sum() if reduction == "sum" else per.mean())
    return np.asarray(out).astype(logits.dtype)


@mutant("bce-mean-16-bit-accumulation",
        "the 'mean'/'sum' of the elementwise losses accumulated in the input dtype (pytorch/executorch#20090: "
        "mean and sum of Half/BFloat16 accumulated in the input dtype): a float16 sum stalls and overflows")
def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):  # noqa: F811
    per = base.sigmoid_cross_entropy(logits, labels, reduction="none", label_smoothing=label_smoothing,
                                     device=device)
    with np.errstate(over="ignore"):
        return np.asarray(_reduce(per, reduction)).astype(logits.dtype)


@mutant("pos-weight-unshifted-softplus",
        "with pos_weight, log(1 + e^{−x}) taken without the max(−x, 0) shift: e^{−x} overflows and the loss is "
        "inf where it is finite without pos_weight (pytorch/pytorch#13773: NaN for logits −120 with pos_weight=1)")
def sigmoid_cross_entropy_with_pos_weight(logits, labels, pos_weight, *, reduction="none", device):
    x = logits.astype(_acc(logits))
    z = labels.astype(x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        losses = (1 - z) * x + (1 + (pos_weight.astype(x.dtype) - 1) * z) * np.log1p(np.exp(-x))
        return np.asarray(reduce_loss(losses, reduction)).astype(logits.dtype)


@mutant("pos-weight-ignored",
        "pos_weight silently not applied: the unweighted loss comes back (PaddlePaddle/Paddle#65859: expected "
        "44.73 for pos_weight 3, got 14.913; #54869)")
def sigmoid_cross_entropy_with_pos_weight(logits, labels, pos_weight, *, reduction="none", device):  # noqa: F811
    return base.sigmoid_cross_entropy(logits, labels, reduction=reduction, device=device)
