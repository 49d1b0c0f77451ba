"""Mutants of the cross_entropy family."""

from __future__ import annotations

import numpy as np

from ..impls import numpy_ as base
from . import mutant


def _log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@mutant("ce-grad-without-label-mass", "∂ξ/∂z taken as softmax(z) − t: wrong for labels that do not sum to 1")
def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    z = logits.astype(np.float64)
    t = (1 - label_smoothing) * labels + label_smoothing / z.shape[1]
    g = np.exp(_log_softmax(z)) - t
    return (g / z.shape[0] if reduction == "mean" else g).astype(logits.dtype)


@mutant("ce-grad-mean-without-one-over-n", "the 'mean' gradient forgets the 1/N of the mean")
def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):  # noqa: F811
    return base.softmax_cross_entropy_grad(logits, labels, reduction="sum", label_smoothing=label_smoothing,
                                           device=device)


@mutant("label-smoothing-without-over-c", "smoothed labels (1 − α)t + α instead of (1 − α)t + α/C")
def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    t = (1 - label_smoothing) * labels + label_smoothing
    return base.softmax_cross_entropy(logits, t.astype(labels.dtype), reduction=reduction, label_smoothing=0.0,
                                      device=device)


@mutant("ce-as-log-of-softmax", "−Σ t log(softmax(z)): −∞ (or NaN) wherever a probability underflows")
def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):  # noqa: F811
    z = logits.astype(np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    t = (1 - label_smoothing) * labels + label_smoothing / z.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        per = -(t * np.log(e / e.sum(axis=1, keepdims=True))).sum(axis=1)
    out = per if reduction == "none" else (per.sum() if reduction == "sum" else per.mean())
    return np.asarray(out).astype(logits.dtype)


@mutant("sparse-ce-label-off-by-one", "integer labels read as 1-based: class y − 1 (wrapping to the last)")
def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return base.sparse_softmax_cross_entropy(logits, (labels - 1) % logits.shape[1], reduction=reduction,
                                             label_smoothing=label_smoothing, device=device)


# --- inferior algorithms, reach and API parameters: each a behaviour seen in a real kernel ----------------------------

def _acc(x):
    return np.float32 if x.dtype == np.float16 else x.dtype


def _reduce(per, reduction):
    out = per if reduction == "none" else (per.sum() if reduction == "sum" else per.mean())
    return np.asarray(out)


@mutant("ce-rounded-lse",
        "ξ = Σ_c t_c (lse(z) − z_c) with lse = max + log Σ e^{z−max} rounded first: the gap rounds away at large "
        "|z| and the loss goes to 0 (ml-explore/mlx#4188; pytorch/pytorch#11752)")
def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):  # noqa: F811
    return _rounded_lse_ce(logits, labels, reduction, label_smoothing)


def _rounded_lse_ce(logits, labels, reduction, label_smoothing):
    z = logits.astype(_acc(logits))
    t = (1 - label_smoothing) * labels.astype(z.dtype) + label_smoothing / z.shape[1]
    m = z.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))).astype(logits.dtype).astype(z.dtype)
        per = (t * (lse - z)).sum(axis=1)
    return _reduce(per, reduction).astype(logits.dtype)


@mutant("sparse-ce-rounded-lse",
        "sparse ξ = lse(z) − z_y with the log-sum-exp rounded before the subtraction (ml-explore/mlx#4188: "
        "cross_entropy of [1e8, 1e8] is 0, not log 2)")
def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):  # noqa: F811
    t = (labels[:, None] == np.arange(logits.shape[1])).astype(logits.dtype)
    return _rounded_lse_ce(logits, t, reduction, label_smoothing)


@mutant("ce-mean-16-bit-accumulation",
        "the batch 'mean' (and 'sum') accumulated in the input dtype: float16 overflows past 65504 while the mean "
        "fits (torch's F.cross_entropy, catalogued as torch-ce-mean-float16-overflows; "
        "pytorch/executorch#20090)")
def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):  # noqa: F811
    per = base.softmax_cross_entropy(logits, labels, reduction="none", label_smoothing=label_smoothing,
                                     device=device)
    if reduction == "none":
        return per
    with np.errstate(over="ignore"):
        total = np.cumsum(per, dtype=per.dtype)[-1]
        return np.asarray(total / per.size if reduction == "mean" else total).astype(logits.dtype)


@mutant("ce-probability-clipping",
        "−Σ t log(clip(softmax(z), 1e-7, 1 − 1e-7)): Keras' cross-entropy of probabilities, saturating at "
        "−log 1e-7 ≈ 16.1 (keras-team/keras#17634, keras-team/tf-keras#242)")
def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):  # noqa: F811
    p = np.clip(base.softmax(logits.astype(np.float64), axis=1, device=device), 1e-7, 1 - 1e-7)
    t = (1 - label_smoothing) * labels + label_smoothing / logits.shape[1]
    return _reduce(-(t * np.log(p)).sum(axis=1), reduction).astype(logits.dtype)


@mutant("sparse-ce-smoothing-term-16-bit",
        "with class indices, the smoothing term Σ_c log ζ_c summed in the input dtype before the α/C scaling "
        "(torch's F.cross_entropy, catalogued as torch-sparse-ce-smoothing-float16-overflows)")
def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):  # noqa: F811
    z = logits.astype(_acc(logits))
    l = _log_softmax(z).astype(logits.dtype)
    nll = -np.take_along_axis(l, labels[:, None], axis=1)[:, 0]
    with np.errstate(over="ignore", invalid="ignore"):
        smooth = -np.cumsum(l, axis=1, dtype=l.dtype)[:, -1]
        per = (1 - label_smoothing) * nll + label_smoothing / z.shape[1] * smooth
        return _reduce(per.astype(logits.dtype), reduction).astype(logits.dtype)


def _weighted_parts(logits, labels, weight, ignore_index, label_smoothing):
    z = logits.astype(_acc(logits))
    kept = labels != ignore_index
    y = np.where(kept, labels, 0)
    t = (1 - label_smoothing) * (y[:, None] == np.arange(z.shape[1])) + label_smoothing / z.shape[1]
    return z, weight.astype(z.dtype), t * kept[:, None], kept, y


@mutant("weighted-ce-mean-divides-by-count",
        "class-weighted 'mean' divided by the number of kept targets instead of their total weight "
        "(pytorch/pytorch#31295: nll_loss with weights, reduction 'mean' wrong on CUDA)")
def weighted_sparse_softmax_cross_entropy(logits, labels, weight, *, ignore_index=-100, reduction="mean",
                                          label_smoothing=0.0, device):
    if reduction != "mean":
        return base.weighted_sparse_softmax_cross_entropy(logits, labels, weight, ignore_index=ignore_index,
                                                          reduction=reduction, label_smoothing=label_smoothing,
                                                          device=device)
    z, w, t, kept, _ = _weighted_parts(logits, labels, weight, ignore_index, label_smoothing)
    per = -(w * t * _log_softmax(z)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(per.sum() / kept.sum()).astype(logits.dtype)


@mutant("weighted-ce-smoothing-counts-ignored",
        "the label-smoothing term is not masked for ignored targets: ignored rows add α/C·Σ_c w_c(−log ζ_c) "
        "(pytorch/pytorch#73205, 'Bug in label smoothing with ignored samples')")
def weighted_sparse_softmax_cross_entropy(logits, labels, weight, *, ignore_index=-100, reduction="mean",  # noqa: F811
                                          label_smoothing=0.0, device):
    z, w, _, kept, y = _weighted_parts(logits, labels, weight, ignore_index, label_smoothing)
    l = _log_softmax(z)
    nll = -(w[y] * np.take_along_axis(l, y[:, None], axis=1)[:, 0]) * kept
    smooth = -(w * l).sum(axis=1)  # not masked: the bug
    per = (1 - label_smoothing) * nll + label_smoothing / z.shape[1] * smooth
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(per.sum() / (w[y] * kept).sum()).astype(logits.dtype)
    return _reduce(per, reduction).astype(logits.dtype)
