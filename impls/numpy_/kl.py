"""NumPy backend: the kl family (KL divergence, its gradient in q, Gaussian KL, the VAE latent loss)."""

from __future__ import annotations

import numpy as np

from ._common import acc

__all__ = ["gaussian_kl", "kl_div_loss", "kl_divergence", "kl_divergence_vjp", "vae_latent_loss"]


def kl_divergence(p, q, *, axis=-1, device):
    w = p.astype(acc(p))
    with np.errstate(divide="ignore", invalid="ignore"):
        # 0·log(0/q) = 0: entries outside the support of p are masked, not multiplied
        terms = np.where(w > 0, w * np.log(np.where(w > 0, w, 1) / q.astype(w.dtype)), 0)
    return terms.sum(axis=axis).astype(p.dtype)


def kl_divergence_vjp(p, q, dy, *, axis=-1, device):
    w = p.astype(acc(p))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # float16: p/q may exceed its range
        ratio = np.where(w > 0, w / q.astype(w.dtype), 0)
        return (-np.expand_dims(dy.astype(w.dtype), axis) * ratio).astype(q.dtype)


def gaussian_kl(mu1, sigma1, mu2, sigma2, *, device):
    dtype, t = mu1.dtype, acc(mu1)
    mu1, sigma1, mu2, sigma2 = (a.astype(t) for a in (mu1, sigma1, mu2, sigma2))
    # ratios first (as torch.distributions does): σ² would overflow where the ratios and D fit
    v = (sigma1 / sigma2) ** 2
    with np.errstate(over="ignore"):
        t = ((mu1 - mu2) / sigma2) ** 2
    return (0.5 * (v + t - 1) - np.log(sigma1 / sigma2)).astype(dtype)


def vae_latent_loss(mu, sigma, *, axis=-1, device):
    m, s = mu.astype(acc(mu)), sigma.astype(acc(mu))
    # log σ² as 2 log σ: σ² underflows for σ below the square root of the smallest normal
    return (0.5 * (m**2 + s**2 - 2 * np.log(s) - 1).sum(axis=axis)).astype(mu.dtype)


def kl_div_loss(log_q, target, *, reduction="batchmean", log_target=False, device):
    t = target.astype(acc(target))
    with np.errstate(divide="ignore", invalid="ignore"):
        if log_target:
            p, log_p = np.exp(t), t
        else:
            p, log_p = t, np.log(np.where(t > 0, t, 1))
        # 0·log 0 = 0: entries outside the support of p are masked, not multiplied
        terms = np.where(p > 0, p * (log_p - log_q.astype(t.dtype)), 0)
    if reduction == "none":
        return terms.astype(target.dtype)
    divisor = {"sum": 1, "batchmean": log_q.shape[0], "mean": log_q.size}[reduction]
    return np.asarray(terms.sum() / divisor).astype(target.dtype)
