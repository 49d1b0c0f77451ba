r"""The logistic sigmoid, its derivative, the sigmoid (binary) cross-entropy, and the GAN losses built on it.

Sources: Goodfellow, Bengio, Courville, *Deep Learning* (2016), §3.10 (\sigma and its properties,
\sigma'(x) = \sigma(x)(1 - \sigma(x))) and §6.2.2.2 (sigmoid units for Bernoulli outputs, the loss as a softplus);
TensorFlow's documentation of `tf.nn.sigmoid_cross_entropy_with_logits` (the derivation of the stable form);
Keras' `BinaryCrossentropy(label_smoothing=...)` for the binary label-smoothing convention;
T. Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016, §3.4 (one-sided label smoothing).
"""

from __future__ import annotations

import numpy as np

from . import _checks

OPS = ("sigmoid", "sigmoid_vjp", "sigmoid_cross_entropy", "sigmoid_cross_entropy_grad",
       "sigmoid_cross_entropy_with_pos_weight")


def sigmoid(x: np.ndarray) -> np.ndarray:
    r"""\sigma(x) = 1 / (1 + e^{-x}) = e^{x} / (1 + e^{x}), elementwise.

    Computed as 1/(1 + e^{-x}) for x >= 0 and e^{x}/(1 + e^{x}) for x < 0, so e^{\cdot} never overflows and
    \sigma(x) keeps its relative accuracy down to the smallest numbers for very negative x (Goodfellow §3.10).
    """
    x = _checks.floats(x, "x")
    e = np.exp(-np.abs(x))  # in (0, 1]
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_vjp(x: np.ndarray, dy: np.ndarray) -> np.ndarray:
    r"""Vector-Jacobian product of \sigma: dy \odot \sigma(x)(1 - \sigma(x))  (\sigma' = \sigma(1 - \sigma), §3.10)."""
    x = _checks.floats(x, "x")
    dy = _checks.floats(dy, "dy")
    _checks.same_shape(x, dy, "x", "dy")
    e = np.exp(-np.abs(x))
    return dy * e / (1.0 + e) ** 2  # = \sigma(1 - \sigma), symmetric in x, with no cancellation in 1 - \sigma


def smooth_binary_labels(labels: np.ndarray, label_smoothing: float) -> np.ndarray:
    r"""z' = z(1 - \alpha) + \alpha/2: each binary label mixed with the uniform distribution over {0, 1}.

    This is Keras' convention (`BinaryCrossentropy(label_smoothing=α)`: "squeezes the labels towards 0.5"),
    i.e. the categorical rule t' = (1 - \alpha)t + \alpha/C of Szegedy et al. §7 with C = 2 classes (z, 1 - z).
    """
    z = _checks.floats(labels, "labels")
    alpha = _checks.fraction(label_smoothing, "label_smoothing")
    return z * (1.0 - alpha) + alpha / 2.0


def _labels(labels: object, x: np.ndarray) -> np.ndarray:
    z = _checks.floats(labels, "labels")
    _checks.same_shape(x, z, "logits", "labels")
    if np.any((z < 0) | (z > 1)):
        raise ValueError(f"labels: must lie in [0, 1], got {z[(z < 0) | (z > 1)].ravel()[:3]} among its values")
    return z


def _reduce_all(losses: np.ndarray, how: str) -> np.ndarray:
    """'none' keeps every element, 'sum' adds them all, 'mean' divides that sum by the number of elements."""
    if how == "none":
        return losses
    return losses.sum() / losses.size if how == "mean" else losses.sum()


def sigmoid_cross_entropy(logits: np.ndarray, labels: np.ndarray, *, reduction: str = "none",
                          label_smoothing: float = 0.0) -> np.ndarray:
    r"""Elementwise binary cross-entropy of labels z \in [0, 1] with \sigma(x) of the logits x, then reduced.

    \ell = -z' \log\sigma(x) - (1 - z')\log(1 - \sigma(x)) = x - x z' + \log(1 + e^{-x})
         = \max(x, 0) - x z' + \log(1 + e^{-|x|}),                z' = z(1 - \alpha) + \alpha/2.
    The last form is the one TensorFlow's `sigmoid_cross_entropy_with_logits` documentation derives: it never
    overflows (e^{-|x|} <= 1) and never takes \log 0, where the first form is \infty - \infty or NaN once \sigma
    rounds to 0 or 1 (|x| > 37 in float64, > 17 in float32).
    reduction: 'none' keeps the shape; 'sum' adds every element; 'mean' averages over ALL elements (not rows).
    """
    x = _checks.floats(logits, "logits")
    z = smooth_binary_labels(_labels(labels, x), label_smoothing)
    how = _checks.reduction(reduction)
    return _reduce_all(np.maximum(x, 0.0) - x * z + np.log1p(np.exp(-np.abs(x))), how)


def sigmoid_cross_entropy_grad(logits: np.ndarray, labels: np.ndarray, *, reduction: str = "mean",
                               label_smoothing: float = 0.0) -> np.ndarray:
    r"""Gradient of the reduced sigmoid cross-entropy with respect to the logits: \sigma(x) - z',
    divided by the number of elements for 'mean'.

    From d/dx [x - xz' + \log(1 + e^{-x})] = 1 - z' - (1 - \sigma(x)). reduction must be 'sum' or 'mean'
    (the gradient is of a scalar loss; 'sum' gives the diagonal of the elementwise Jacobian).
    """
    x = _checks.floats(logits, "logits")
    z = smooth_binary_labels(_labels(labels, x), label_smoothing)
    how = _checks.reduction(reduction)
    if how == "none":
        raise ValueError("reduction: the gradient is of a scalar loss; expected 'sum' or 'mean', got 'none'")
    g = sigmoid(x) - z
    return g / x.size if how == "mean" else g


def sigmoid_cross_entropy_with_pos_weight(logits: np.ndarray, labels: np.ndarray, pos_weight: np.ndarray, *,
                                          reduction: str = "none") -> np.ndarray:
    r"""Binary cross-entropy whose positive term is weighted by q (per class: the last axis), then reduced.

    \ell = -[q\,z\log\sigma(x) + (1 - z)\log(1 - \sigma(x))] = (1 - z)x + (1 + (q - 1)z)\log(1 + e^{-x}),
    \log(1 + e^{-x}) = \max(-x, 0) + \log(1 + e^{-|x|})   (never overflows, never takes \log 0).
    q = pos_weight >= 0 broadcasts against the logits' last axis (shape (C,) or ()); q = 1 is the unweighted loss.
    Sources: TensorFlow's documentation of `tf.nn.weighted_cross_entropy_with_logits` (the formula and its stable
    form) and PyTorch's `BCEWithLogitsLoss(pos_weight=p_c)`
    (\ell = -[p_c y \log\sigma(x) + (1 - y)\log(1 - \sigma(x))]).
    reduction as `sigmoid_cross_entropy`: 'mean' averages over ALL elements.
    """
    x = _checks.floats(logits, "logits")
    z = _labels(labels, x)
    q = _checks.floats(pos_weight, "pos_weight")
    if np.any(q < 0):
        raise ValueError(f"pos_weight: must be non-negative, got {q[q < 0].ravel()[:3]} among its values")
    if q.ndim > 1 or (q.ndim == 1 and x.ndim >= 1 and q.shape[0] != x.shape[-1]):
        raise ValueError(f"pos_weight: expected shape () or ({x.shape[-1] if x.ndim else 1},), got {q.shape}")
    how = _checks.reduction(reduction)
    softplus_neg = np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return _reduce_all((1.0 - z) * x + (1.0 + (q - 1.0) * z) * softplus_neg, how)


def gan_discriminator_loss(real_logits: np.ndarray, fake_logits: np.ndarray, *, smooth: float = 0.0) -> float:
    r"""The discriminator's loss, as written in the source (DCGAN in TensorFlow, with one-sided label smoothing):

    d\_loss = d\_loss\_real + d\_loss\_fake,
    d\_loss\_real = mean(\ell(real\_logits, 1 - smooth)),   d\_loss\_fake = mean(\ell(fake\_logits, 0)),
    with \ell the elementwise sigmoid cross-entropy and means over all elements. Only the real labels are smoothed
    (Salimans et al. 2016, §3.4: smoothing the fake labels too would reward the generator's mistakes).
    """
    real = _checks.floats(real_logits, "real_logits")
    fake = _checks.floats(fake_logits, "fake_logits")
    s = _checks.fraction(smooth, "smooth")
    d_loss_real = sigmoid_cross_entropy(real, np.full(real.shape, 1.0 - s), reduction="mean")
    d_loss_fake = sigmoid_cross_entropy(fake, np.zeros(fake.shape), reduction="mean")
    return float(d_loss_real + d_loss_fake)


def gan_generator_loss(fake_logits: np.ndarray) -> float:
    r"""The generator's (non-saturating) loss, as written in the source: g\_loss = mean(\ell(fake\_logits, 1)),
    i.e. -mean \log\sigma(fake\_logits): the generator is rewarded when D calls its samples real."""
    fake = _checks.floats(fake_logits, "fake_logits")
    return float(sigmoid_cross_entropy(fake, np.ones(fake.shape), reduction="mean"))
