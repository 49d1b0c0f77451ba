"""Mutants of the KL family."""

from __future__ import annotations

import numpy as np

from ..impls import numpy_ as base
from . import mutant


@mutant("kl-arguments-swapped", "D(Q‖P) for D(P‖Q): the reference and the model exchanged")
def kl_divergence(p, q, *, axis=-1, device):
    return base.kl_divergence(q, p, axis=axis, device=device)


@mutant("kl-zero-times-log-zero-is-nan", "Σ p·log(p/q) with no 0·log 0 = 0 convention: NaN where p = 0")
def kl_divergence(p, q, *, axis=-1, device):  # noqa: F811  (a different mutant of the same op)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (p * np.log(p / q)).sum(axis=axis)


@mutant("kl-summed-over-the-last-axis", "sums the terms along the last axis whatever axis is asked for")
def kl_divergence(p, q, *, axis=-1, device):  # noqa: F811
    return base.kl_divergence(p, q, axis=-1, device=device)


@mutant("kl-vjp-wrong-sign", "dq = +dy·p/q: the gradient of −D")
def kl_divergence_vjp(p, q, dy, *, axis=-1, device):
    return -base.kl_divergence_vjp(p, q, dy, axis=axis, device=device)


@mutant("kl-vjp-without-p", "dq = −dy/q: the derivative of −log q, forgetting the weight p")
def kl_divergence_vjp(p, q, dy, *, axis=-1, device):  # noqa: F811
    return (-np.expand_dims(dy, axis) / q).astype(q.dtype)


@mutant("gaussian-kl-sigma-for-variance", "(σ1 + (μ1 − μ2)²)/(2σ2) where σ1², σ2² belong")
def gaussian_kl(mu1, sigma1, mu2, sigma2, *, device):
    return (np.log(sigma2 / sigma1) + (sigma1 + (mu1 - mu2) ** 2) / (2 * sigma2) - 0.5).astype(mu1.dtype)


@mutant("vae-loss-without-half", "Σ(μ² + σ² − log σ² − 1), missing the ½")
def vae_latent_loss(mu, sigma, *, axis=-1, device):
    return (2 * base.vae_latent_loss(mu, sigma, axis=axis, device=device)).astype(mu.dtype)


@mutant("vae-loss-log-sigma", "½Σ(μ² + σ² − log σ − 1): log σ where log σ² belongs")
def vae_latent_loss(mu, sigma, *, axis=-1, device):  # noqa: F811
    return (0.5 * (mu**2 + sigma**2 - np.log(sigma) - 1).sum(axis=axis)).astype(mu.dtype)


# --- inferior algorithms and reach (issue 10): each a behaviour seen in a real kernel, cited -------------------------

def _loss_terms(log_q, target, log_target, log_p=None):
    t = target.astype(np.float32 if target.dtype == np.float16 else target.dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = np.exp(t) if log_target else t
        lp = t if log_target else (np.log(t) if log_p is None else log_p(t))
        return p, p * (lp - log_q.astype(t.dtype))


def _reduced(terms, log_q, target, reduction):
    if reduction == "none":
        return terms.astype(target.dtype)
    divisor = {"sum": 1, "batchmean": log_q.shape[0], "mean": log_q.size}[reduction]
    return np.asarray(terms.sum() / divisor).astype(target.dtype)


@mutant("kl-div-loss-batchmean-divides-by-numel",
        "'batchmean' as Σℓ / numel: the legacy 'mean' of KLDivLoss, D/C instead of D (pytorch/pytorch#6622, fixed "
        "by PR #14457 which added 'batchmean'; the same slip in facebookresearch/deit#61)")
def kl_div_loss(log_q, target, *, reduction="batchmean", log_target=False, device):
    reduction = "mean" if reduction == "batchmean" else reduction
    return base.kl_div_loss(log_q, target, reduction=reduction, log_target=log_target, device=device)


@mutant("kl-div-loss-log-target-ignored",
        "log_target=True not honoured: the log-probability target is read as probabilities (the branch "
        "pytorch/pytorch PR #34586 added to kl_div, and oneflow PR #4012 had to reproduce)")
def kl_div_loss(log_q, target, *, reduction="batchmean", log_target=False, device):  # noqa: F811
    return base.kl_div_loss(log_q, target, reduction=reduction, log_target=False, device=device)


@mutant("kl-div-loss-nan-where-target-is-zero",
        "target·(log target − log q) with no 0·log 0 = 0 guard: NaN wherever p = 0 (Lightning-AI/torchmetrics#1029, "
        "google-deepmind/optax PR #1786, MLX's kl_div_loss in issue 17)")
def kl_div_loss(log_q, target, *, reduction="batchmean", log_target=False, device):  # noqa: F811
    _, terms = _loss_terms(log_q, target, log_target)
    return _reduced(terms, log_q, target, reduction)


@mutant("kl-div-loss-epsilon-in-log",
        "p·(log(p + 1e-10) − log q): the ε linkedin/Liger-Kernel PR #262 put in its Triton KLDiv kernel against "
        "log 0, which biases every term (by up to 1e-10 each)")
def kl_div_loss(log_q, target, *, reduction="batchmean", log_target=False, device):  # noqa: F811
    p, terms = _loss_terms(log_q, target, log_target, log_p=lambda t: np.log(t + 1e-10))
    return _reduced(np.where(p > 0, terms, 0), log_q, target, reduction)


@mutant("kl-probabilities-clipped",
        "p and q clipped to [1e-7, 1] before Σ p·log(p/q), as Keras' kullback_leibler_divergence does "
        "(keras-team/keras PR #2872): zero and near-zero probabilities become 1e-7")
def kl_divergence(p, q, *, axis=-1, device):  # noqa: F811
    w = p.astype(np.float32 if p.dtype == np.float16 else p.dtype)
    pc, qc = np.clip(w, 1e-7, 1), np.clip(q.astype(w.dtype), 1e-7, 1)
    return (pc * np.log(pc / qc)).sum(axis=axis).astype(p.dtype)


@mutant("gaussian-kl-variances-before-ratio",
        "(σ1² + (μ1 − μ2)²)/(2σ2²) with the squares formed in the input dtype: they overflow (inf/inf = NaN) "
        "while σ1/σ2 and D fit — the half-precision Normal–Normal KL blow-up of NVIDIA/apex#812")
def gaussian_kl(mu1, sigma1, mu2, sigma2, *, device):  # noqa: F811
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - mu1.dtype.type(0.5)
    return out.astype(mu1.dtype)


@mutant("vae-loss-log-of-squared-sigma",
        "log σ² taken of σ² formed in the input dtype: σ² underflows (to a subnormal or 0, so −log σ² = +inf) for "
        "σ below √tiny while the loss is finite — why VAE encoders output log σ² (pytorch/examples' VAE, and "
        "chainer/chainer#6168 on its fp16 NaNs)")
def vae_latent_loss(mu, sigma, *, axis=-1, device):  # noqa: F811
    with np.errstate(divide="ignore", over="ignore"):
        log_var = np.log(sigma * sigma).astype(np.float64)  # the square rounded (and underflowed) in the dtype
        m, s = mu.astype(np.float64), sigma.astype(np.float64)
        return (0.5 * (m**2 + s**2 - log_var - 1).sum(axis=axis)).astype(mu.dtype)
