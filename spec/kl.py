r"""Kullback–Leibler divergence: between discrete distributions, between Gaussians, and the VAE latent loss.

Sources: T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed. (2006), §2.3 (relative
entropy, the conventions 0 log(0/q) = 0 and p log(p/0) = ∞) and §8.6 (differential relative entropy);
D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014, Appendix B (the Gaussian KL term).

Validity of a distribution (the convention this spec picks). p and q must be non-negative and sum to 1 along
`axis`. "Sum to 1" is checked within n·ε_f + 4·n·ε64, where n is the length along the axis and ε_f the machine
epsilon of the narrowest format (float16, bfloat16, float32, float64) that holds every entry exactly: the spec
always computes in float64, but a distribution stored in float16 can only sum to 1 within about n·ε16/2 once its
entries are rounded, and it is still the caller's distribution. A float64 distribution (entries not all
representable in a narrower format) gets 4·n·ε64: the rounding of its own float64 sum.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from . import _checks

OPS = ("kl_divergence", "kl_divergence_vjp", "kl_div_loss", "gaussian_kl", "vae_latent_loss")

REDUCTIONS = ("none", "sum", "mean", "batchmean")

_FORMATS = (ml_dtypes.bfloat16, np.float16, np.float32)
"""Storage formats tried for the sum-to-1 tolerance, widest epsilon first (bfloat16 2^-7, float16 2^-10, …)."""


def sum_tolerance(p: np.ndarray, axis: int) -> float:
    r"""How far Σ_axis p may be from 1: n·ε_f + 4·n·ε64, ε_f of the narrowest format holding p exactly."""
    n = p.shape[axis]
    e64 = float(np.finfo(np.float64).eps)
    finite = p[np.isfinite(p)]
    for fmt in _FORMATS:
        with np.errstate(over="ignore"):
            if np.array_equal(finite.astype(fmt).astype(np.float64), finite):
                return n * float(ml_dtypes.finfo(fmt).eps) + 4 * n * e64
    return 4 * n * e64


def _distribution(x: object, name: str, axis: int) -> tuple[np.ndarray, int]:
    a = _checks.floats(x, name)
    if a.ndim == 0:
        raise ValueError(f"{name}: expected at least 1 dimension (the distribution's axis), got a scalar")
    ax = _checks.axis(axis, a.ndim)
    if a.shape[ax] == 0:
        raise ValueError(f"{name}: the distribution's axis {axis} is empty")
    if np.any(a < 0):
        raise ValueError(f"{name}: probabilities must be non-negative, got {a[a < 0].ravel()[:3]} among its values")
    err = np.abs(a.sum(axis=ax) - 1.0)
    tol = sum_tolerance(a, ax)
    if np.any(err > tol):
        raise ValueError(f"{name}: must sum to 1 along axis {axis} (within {tol:.3g}), "
                         f"got sums {a.sum(axis=ax)[err > tol].ravel()[:3]}")
    return a, ax


def _pair(p: object, q: object, axis: int) -> tuple[np.ndarray, np.ndarray, int]:
    p, ax = _distribution(p, "p", axis)
    q, _ = _distribution(q, "q", axis)
    _checks.same_shape(p, q, "p", "q")
    return p, q, ax


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x·log y with 0·log y = 0 for every y >= 0 (the convention 0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


def kl_divergence(p: np.ndarray, q: np.ndarray, *, axis: int = -1) -> np.ndarray:
    r"""Relative entropy D(P‖Q) of each distribution along `axis` (Cover & Thomas §2.3, Eq. 2.26).

    D(P\|Q) = \sum_i p_i \log(p_i / q_i) = H(P, Q) - H(P),   D >= 0 with equality iff P = Q (Thm 2.6.3).
    Conventions (Cover & Thomas §2.3): 0 \log(0/q) = 0 for every q, zeros of Q included, so entries outside the
    support of P contribute nothing; p \log(p/0) = +∞: D is +∞ where some q_i = 0 < p_i, and the spec returns
    +inf there. The argument order matters: D(P‖Q) ≠ D(Q‖P) in general. Computed as p_i(\log p_i − \log q_i),
    which neither overflows nor underflows where p_i/q_i would.
    Returns the shape of p without `axis`.
    """
    p, q, ax = _pair(p, q, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p == 0, 0.0, p * (np.log(np.where(p == 0, 1.0, p)) - np.log(q)))
    return terms.sum(axis=ax)


def entropy(p: np.ndarray, *, axis: int = -1) -> np.ndarray:
    r"""Shannon entropy H(P) = -\sum_i p_i \log p_i in nats, with 0 log 0 = 0 (Cover & Thomas §2.1)."""
    p, ax = _distribution(p, "p", axis)
    return -_xlogy(p, p).sum(axis=ax)


def cross_entropy_of(p: np.ndarray, q: np.ndarray, *, axis: int = -1) -> np.ndarray:
    r"""Cross-entropy H(P, Q) = -\sum_i p_i \log q_i = H(P) + D(P‖Q) (Cover & Thomas, Problem 2.x; §5.4).

    0 log q = 0 for every q; +∞ where some q_i = 0 < p_i.
    """
    p, q, ax = _pair(p, q, axis)
    return -_xlogy(p, q).sum(axis=ax)


def kl_divergence_vjp(p: np.ndarray, q: np.ndarray, dy: np.ndarray, *, axis: int = -1) -> np.ndarray:
    r"""Vector-Jacobian product of D(P‖Q) with respect to q: dq_i = -dy · p_i / q_i (0 where p_i = 0).

    From \partial D / \partial q_i = -p_i / q_i, taking q as free coordinates (the gradient a framework's autodiff
    returns; projecting it onto the simplex Σq = 1 is the optimiser's business). Only q: p is the target, and
    \partial D / \partial p_i = \log(p_i/q_i) + 1 is −∞ at p_i = 0, so a gradient in p is not defined on the
    distributions this spec allows. `dy` has the shape of the output (p without `axis`) and broadcasts along it.
    Where p_i > 0 = q_i the gradient is infinite (D is +∞ there): −dy·∞, as IEEE division gives.
    """
    p, q, ax = _pair(p, q, axis)
    dy = _checks.floats(dy, "dy")
    want = p.shape[:ax] + p.shape[ax + 1:]
    if dy.shape != want:
        raise ValueError(f"dy: shape {dy.shape} does not match the output shape {want}")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p == 0, 0.0, p / q)
    return -np.expand_dims(dy, ax) * ratio


def kl_div_loss(log_q: np.ndarray, target: np.ndarray, *, reduction: str = "batchmean",
                log_target: bool = False) -> np.ndarray:
    r"""The KL loss in the calling convention of PyTorch's `F.kl_div(input, target)`: the model as
    log-probabilities log q, the target as probabilities p (or as log p with `log_target`), then a reduction.

    ℓ_i = p_i (\log p_i − \log q_i) elementwise, 0 where p_i = 0 (0 log 0 = 0, Cover & Thomas §2.3; with
    `log_target`, p_i = exp(target_i) and target_i = −∞ is p_i = 0); +∞ where p_i > 0 and log q_i = −∞.
    reduction: 'none' → ℓ (the shape of the inputs); 'sum' → Σ ℓ; 'batchmean' → Σ ℓ / N with N the length of axis 0
    (the batch): for distributions along the other axes, the mean over the batch of D(P_n‖Q_n), the KL divergence;
    'mean' → Σ ℓ / (number of elements): the mean over every element, D/C for C classes, which is not a KL
    divergence. PyTorch documents 'mean' so and added 'batchmean' for the mathematical definition
    (pytorch/pytorch#6622, PR #14457). Sources: Cover & Thomas §2.3; PyTorch `KLDivLoss` documentation.
    The loss is elementwise, so the target need not sum to 1 here. target >= 0 (any real or −∞ with `log_target`);
    log_q any real or −∞; one shape, at least 1-D. Returns float64 (0-d for every reduction but 'none').
    """
    log_q = _checks.floats(log_q, "log_q", finite=False)
    target = _checks.floats(target, "target", finite=False)
    _checks.same_shape(log_q, target, "log_q", "target")
    if log_q.ndim == 0:
        raise ValueError("log_q: expected at least 1 dimension (axis 0 is the batch), got a scalar")
    if np.any(np.isnan(log_q)) or np.any(log_q == np.inf):
        raise ValueError("log_q: log-probabilities must be real or −inf (q = 0), got NaN or +inf")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
    if not isinstance(log_target, (bool, np.bool_)):
        raise ValueError(f"log_target: expected a bool, got {log_target!r}")
    if log_target:
        if np.any(np.isnan(target)) or np.any(target == np.inf):
            raise ValueError("target: log-probabilities must be real or −inf, got NaN or +inf")
        p, log_p = np.exp(target), target
    else:
        if np.any(~np.isfinite(target)) or np.any(target < 0):
            raise ValueError("target: probabilities must be finite and non-negative")
        p = target
        with np.errstate(divide="ignore"):
            log_p = np.log(np.where(p > 0, p, 1.0))
    with np.errstate(invalid="ignore"):
        terms = np.where(p == 0, 0.0, p * (log_p - log_q))
    if reduction == "none":
        return terms
    total = terms.sum()
    divisor = {"sum": 1, "batchmean": log_q.shape[0], "mean": log_q.size}[reduction]
    return np.asarray(total / divisor, dtype=np.float64)


def _sigma(x: object, name: str) -> np.ndarray:
    s = _checks.floats(x, name)
    if np.any(s <= 0):
        raise ValueError(f"{name}: standard deviations must be positive, got {s[s <= 0].ravel()[:3]} among its values")
    return s


def gaussian_kl(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> np.ndarray:
    r"""Elementwise D(N(μ1, σ1²) ‖ N(μ2, σ2²)) of two univariate Gaussians (Cover & Thomas §8.6).

    D = \log(σ_2/σ_1) + (σ_1^2 + (μ_1 − μ_2)^2) / (2σ_2^2) − 1/2 = \int p_1 \log(p_1/p_2) dx,
    zero exactly when (μ1, σ1) = (μ2, σ2) and positive otherwise. All four arrays have one shape; σ > 0.
    Computed as ½(v + t − 1) − ½ log v with v = (σ1/σ2)², t = ((μ1 − μ2)/σ2)²: the same number, but no σ² is
    formed, so σ up to the largest float64 gives D wherever D itself is finite (σ1² would overflow past 1.3e154).
    """
    mu1 = _checks.floats(mu1, "mu1")
    sigma1 = _sigma(sigma1, "sigma1")
    mu2 = _checks.floats(mu2, "mu2")
    sigma2 = _sigma(sigma2, "sigma2")
    for a, name in ((sigma1, "sigma1"), (mu2, "mu2"), (sigma2, "sigma2")):
        _checks.same_shape(mu1, a, "mu1", name)
    v = (sigma1 / sigma2) ** 2
    t = ((mu1 - mu2) / sigma2) ** 2
    return 0.5 * (v + t - 1.0) - np.log(sigma1 / sigma2)


def vae_latent_loss(mu: np.ndarray, sigma: np.ndarray, *, axis: int = -1) -> np.ndarray:
    r"""The VAE's latent KL term per sample: D(N(μ, diag σ²) ‖ N(0, I)) summed along `axis`.

    ½ \sum_j (μ_j^2 + σ_j^2 − \log σ_j^2 − 1)   (Kingma & Welling 2014, Appendix B, with the sign of the loss:
    their −D_{KL} = ½ Σ(1 + log σ² − μ² − σ²)). It is gaussian_kl(μ, σ, 0, 1) summed along `axis`,
    and 0, its minimum, exactly at μ = 0, σ = 1. σ > 0; returns the shape of mu without `axis`.
    log σ² is computed as 2 log σ: the same number, without the underflow of σ² for σ below 1.5e-154.
    """
    mu = _checks.floats(mu, "mu")
    sigma = _sigma(sigma, "sigma")
    _checks.same_shape(mu, sigma, "mu", "sigma")
    if mu.ndim == 0:
        raise ValueError("mu: expected at least 1 dimension (the latent axis), got a scalar")
    ax = _checks.axis(axis, mu.ndim)
    return 0.5 * (mu**2 + sigma**2 - 2.0 * np.log(sigma) - 1.0).sum(axis=ax)
