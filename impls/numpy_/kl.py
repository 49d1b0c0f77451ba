"""NumPy backend: the kl family (KL divergence, its gradient in q, Gaussian KL, the VAE latent loss)."""

from __future__ import annotations

import numpy as np

from ._common import acc

__all__ = ["gaussian_kl", "kl_divergence", "kl_divergence_vjp", "vae_latent_loss"]


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
    out = np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5
    return out.astype(dtype)


def vae_latent_loss(mu, sigma, *, axis=-1, device):
    m, s = mu.astype(acc(mu)), sigma.astype(acc(mu))
    return (0.5 * (m**2 + s**2 - np.log(s**2) - 1).sum(axis=axis)).astype(mu.dtype)
