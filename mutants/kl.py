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
