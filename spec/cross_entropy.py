r"""Softmax cross-entropy with soft or integer labels, label smoothing, reductions, and its gradient.

Sources: Goodfellow, Bengio, Courville, *Deep Learning* (2016), §6.2.2.3 (softmax units, the loss
-\log\zeta(z)_y and its gradient) and §4.1 (log-sum-exp without overflow); C. Szegedy, V. Vanhoucke, S. Ioffe,
J. Shlens, Z. Wojna, "Rethinking the Inception Architecture for Computer Vision", CVPR 2016, §7
("Model Regularization via Label Smoothing": q'(k) = (1 - \epsilon)\delta_{k,y} + \epsilon u(k), u = 1/K).

Conventions the spec picks (each stated where it is used):
  * soft labels t are non-negative but need NOT sum to 1; the loss and gradient are stated for the general case
    (the gradient is \zeta(z)\sum_c t_c - t, which is \zeta(z) - t only when \sum_c t_c = 1);
  * label smoothing mixes with the uniform distribution over the C classes, t' = (1 - \alpha)t + \alpha/C, also
    for integer labels (whose t is one-hot);
  * reduction 'mean' divides the sum of the N per-sample losses by N (the batch size), whatever the labels sum to;
  * the gradient of a loss is the gradient of the *reduced* (scalar) loss: reduction 'none' has none (ValueError).
"""

from __future__ import annotations

import numpy as np

from . import _checks

OPS = ("softmax_cross_entropy", "softmax_cross_entropy_grad",
       "sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy_grad",
       "weighted_sparse_softmax_cross_entropy", "weighted_sparse_softmax_cross_entropy_grad")


def _log_softmax(z: np.ndarray) -> np.ndarray:
    r"""\log\zeta(z)_c = (z_c - a) - \log\sum_j e^{z_j - a},  a = \max_j z_j  (never \log of a softmax)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _logits(logits: object) -> np.ndarray:
    z = _checks.floats(logits, "logits", ndim=2)
    if z.shape[1] == 0:
        raise ValueError(f"logits: expected at least one class, got shape {z.shape}")
    return z


def _soft_labels(labels: object, z: np.ndarray) -> np.ndarray:
    t = _checks.floats(labels, "labels", ndim=2)
    _checks.same_shape(z, t, "logits", "labels")
    if np.any(t < 0):
        raise ValueError(f"labels: must be non-negative, got {t[t < 0].ravel()[:3]} among its values")
    return t


def _int_labels(labels: object, z: np.ndarray) -> np.ndarray:
    y = _checks.integers(labels, "labels", ndim=1, low=0, high=z.shape[1])
    if y.shape[0] != z.shape[0]:
        raise ValueError(f"labels: {y.shape[0]} labels for a batch of {z.shape[0]} logits rows")
    return y


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    r"""t_{n,c} = \delta_{c, y_n}: the soft labels an integer label stands for."""
    labels = _checks.integers(labels, "labels", ndim=1, low=0, high=num_classes)
    return (labels[:, None] == np.arange(num_classes)[None, :]).astype(np.float64)


def smooth_labels(labels: np.ndarray, label_smoothing: float) -> np.ndarray:
    r"""t' = (1 - \alpha) t + \alpha / C along the last axis (C classes): Szegedy et al. 2016, §7, u(k) = 1/K.

    It keeps \sum_c t'_c = (1 - \alpha)\sum_c t_c + \alpha, which is 1 when the labels sum to 1.
    """
    t = _checks.floats(labels, "labels")
    alpha = _checks.fraction(label_smoothing, "label_smoothing")
    return (1.0 - alpha) * t + alpha / t.shape[-1]


def _reduce_grad(reduction: str) -> str:
    how = _checks.reduction(reduction)
    if how == "none":
        raise ValueError("reduction: the gradient is of a scalar loss; expected 'sum' or 'mean', got 'none'")
    return how


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray, *, reduction: str = "mean",
                          label_smoothing: float = 0.0) -> np.ndarray:
    r"""Cross-entropy of soft labels with the softmax of the logits, per row, then reduced.

    \xi_n = -\sum_c t'_{n,c} \log\zeta(z_n)_c,   t' = (1 - \alpha)t + \alpha/C,   logits z and labels t of shape (N, C)
    \log\zeta computed as a log-softmax (shift by the row maximum), so the loss is finite for any finite logits.
    reduction: 'none' → (\xi_n) of shape (N,); 'sum' → \sum_n \xi_n; 'mean' → \frac{1}{N}\sum_n \xi_n.
    Source: Goodfellow et al. §6.2.2.3 and §4.1; label smoothing: Szegedy et al. 2016, §7.
    Labels are any non-negative weights; they need not sum to 1 (the loss is then \sum_c t'_c times a
    cross-entropy with the normalised labels).
    """
    z = _logits(logits)
    t = smooth_labels(_soft_labels(labels, z), label_smoothing)
    how = _checks.reduction(reduction)
    return _checks.reduce(-(t * _log_softmax(z)).sum(axis=1), how)


def softmax_cross_entropy_grad(logits: np.ndarray, labels: np.ndarray, *, reduction: str = "mean",
                               label_smoothing: float = 0.0) -> np.ndarray:
    r"""Gradient of the reduced softmax cross-entropy with respect to the logits, shape (N, C).

    \partial\xi_n / \partial z_{n,c} = \zeta(z_n)_c \sum_j t'_{n,j} - t'_{n,c}
      (from \partial \log\zeta_j / \partial z_c = \delta_{jc} - \zeta_c; Goodfellow et al. §6.2.2.3),
    which is \zeta(z_n) - t'_n when the labels sum to 1; divided by N for reduction 'mean'.
    reduction must be 'sum' or 'mean' ('none' is a vector of losses, whose derivative is not one gradient).
    """
    z = _logits(logits)
    t = smooth_labels(_soft_labels(labels, z), label_smoothing)
    how = _reduce_grad(reduction)
    y = np.exp(_log_softmax(z))
    g = y * t.sum(axis=1, keepdims=True) - t
    return g / z.shape[0] if how == "mean" else g


def sparse_softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray, *, reduction: str = "mean",
                                 label_smoothing: float = 0.0) -> np.ndarray:
    r"""Softmax cross-entropy of integer labels y_n \in \{0, …, C-1\}: the dense loss with one-hot labels.

    \xi_n = -\log\zeta(z_n)_{y_n} for \alpha = 0; with smoothing,
    \xi_n = -(1 - \alpha)\log\zeta(z_n)_{y_n} - \frac{\alpha}{C}\sum_c \log\zeta(z_n)_c   (t = one-hot(y)).
    labels: shape (N,), integers in [0, C) (a ValueError naming labels otherwise). Reductions as the dense loss.
    """
    z = _logits(logits)
    y = _int_labels(labels, z)
    return softmax_cross_entropy(z, one_hot(y, z.shape[1]), reduction=reduction, label_smoothing=label_smoothing)


def sparse_softmax_cross_entropy_grad(logits: np.ndarray, labels: np.ndarray, *, reduction: str = "mean",
                                      label_smoothing: float = 0.0) -> np.ndarray:
    r"""Gradient of the reduced sparse softmax cross-entropy: \zeta(z_n) - t'_n with t = one-hot(y) (\sum t' = 1),
    divided by N for 'mean'. reduction must be 'sum' or 'mean'."""
    z = _logits(logits)
    y = _int_labels(labels, z)
    return softmax_cross_entropy_grad(z, one_hot(y, z.shape[1]), reduction=reduction,
                                      label_smoothing=label_smoothing)


def _weighted_parts(logits: object, labels: object, weight: object, ignore_index: int, label_smoothing: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """z, the effective labels u_{n,c} = w_c t'_{n,c} (zero rows for ignored targets), the per-row weights
    w_{y_n} (zero when ignored) and the kept-row mask."""
    z = _logits(logits)
    C = z.shape[1]
    w = _checks.floats(weight, "weight", ndim=1)
    if w.shape[0] != C:
        raise ValueError(f"weight: expected one weight per class ({C}), got shape {w.shape}")
    if np.any(w < 0):
        raise ValueError(f"weight: must be non-negative, got {w[w < 0][:3]} among its values")
    if not isinstance(ignore_index, (int, np.integer)) or isinstance(ignore_index, bool):
        raise ValueError(f"ignore_index: expected an int, got {ignore_index!r}")
    y = _checks.integers(labels, "labels", ndim=1)
    if y.shape[0] != z.shape[0]:
        raise ValueError(f"labels: {y.shape[0]} labels for a batch of {z.shape[0]} logits rows")
    kept = y != ignore_index
    if np.any((y[kept] < 0) | (y[kept] >= C)):
        raise ValueError(f"labels: values must lie in [0, {C}) or equal ignore_index={ignore_index}")
    t = smooth_labels(one_hot(np.where(kept, y, 0), C), label_smoothing)
    u = w[None, :] * t * kept[:, None]
    return z, u, np.where(kept, w[np.where(kept, y, 0)], 0.0), kept


def weighted_sparse_softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray, weight: np.ndarray, *,
                                          ignore_index: int = -100, reduction: str = "mean",
                                          label_smoothing: float = 0.0) -> np.ndarray:
    r"""Class-weighted softmax cross-entropy of integer labels, with ignored targets and label smoothing.

    \ell_n = -[y_n \ne ii] \sum_c w_c t'_{n,c} \log\zeta(z_n)_c,   t'_n = (1 - \alpha)\,onehot(y_n) + \alpha/C
      (= -w_{y_n}\log\zeta(z_n)_{y_n} for \alpha = 0; an ignored row (y_n = ii) contributes 0, smoothing included)
    'none' → (\ell_n); 'sum' → \sum_n \ell_n; 'mean' → \sum_n \ell_n / \sum_n [y_n \ne ii]\, w_{y_n}: a
    weighted mean, divided by the total weight of the kept targets, not by N. When that total is 0 (every target
    ignored, or weighted 0) 'mean' is a mean over no weight: undefined, NaN, as the source documents — also when
    smoothing gives the kept rows a loss although their targets weigh 0 (PyTorch's (1 − α)·nll + α·smooth is then
    0/0 + x/0 = NaN, not inf).
    weight: shape (C,), non-negative; labels: integers in [0, C) or equal to ignore_index (which may itself be a
    class, e.g. a padding class 0).
    Source: PyTorch's documentation of `torch.nn.CrossEntropyLoss` (class indices, `weight`, `ignore_index`,
    `label_smoothing`; its 'mean' divides by \sum_n w_{y_n}\cdot 1\{y_n \ne ignore\_index\}).
    """
    z, u, w_rows, _ = _weighted_parts(logits, labels, weight, ignore_index, label_smoothing)
    how = _checks.reduction(reduction)
    losses = -(u * _log_softmax(z)).sum(axis=1)
    if how == "none":
        return losses
    if how == "sum":
        return losses.sum()
    total_weight = w_rows.sum()
    return np.float64(losses.sum() / total_weight if total_weight > 0 else np.nan)


def weighted_sparse_softmax_cross_entropy_grad(logits: np.ndarray, labels: np.ndarray, weight: np.ndarray, *,
                                               ignore_index: int = -100, reduction: str = "mean",
                                               label_smoothing: float = 0.0) -> np.ndarray:
    r"""Gradient of the reduced class-weighted loss with respect to the logits, shape (N, C).

    \partial\ell_n/\partial z_{n,j} = \zeta(z_n)_j \sum_c u_{n,c} - u_{n,j},  u_{n,c} = [y_n \ne ii]\, w_c t'_{n,c}
    (from \partial\log\zeta_c/\partial z_j = \delta_{cj} - \zeta_j); the kept rows divided by
    \sum_n [y_n \ne ii]\, w_{y_n} for 'mean'. An ignored row's gradient is 0 always, also when that total is 0
    and the 'mean' itself is NaN: its term [y_n \ne ii]\ell_n is identically 0, it does not depend on z_n (the
    convention of PyTorch's nll_loss backward, which never divides an ignored row); kept rows are NaN then.
    reduction: 'sum' or 'mean'.
    """
    z, u, w_rows, kept = _weighted_parts(logits, labels, weight, ignore_index, label_smoothing)
    how = _reduce_grad(reduction)
    g = np.exp(_log_softmax(z)) * u.sum(axis=1, keepdims=True) - u
    if how == "sum":
        return g
    total_weight = w_rows.sum()
    return np.where(kept[:, None], g / total_weight if total_weight > 0 else np.full_like(g, np.nan), 0.0)
