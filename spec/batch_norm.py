r"""Batch normalization: training forward and backward, running statistics, inference, and the fused affine form.

Source: S. Ioffe and C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing Internal
Covariate Shift", ICML 2015 — Algorithm 1 (the transform), §3 (its backward pass), Algorithm 2 (inference with
population statistics, the unbiased m/(m−1) variance) and §3.2 (convolutional layers: one mean and variance
per feature map, over the batch and every spatial position).

Layout. `axis` is the feature (channel) axis: (N, C) and (N, C, H, W) take axis=1, channels-last (N, H, W, C)
takes axis=-1 (or 3). Statistics run over every other axis, so a channel's batch holds m = x.size / C values.
Per-channel vectors (gamma, beta, mean, var, running_mean, running_var) have shape (C,).
"""

from __future__ import annotations

import numpy as np

from . import _checks

OPS = ("batch_norm_train", "batch_norm_train_vjp", "batch_norm_running_stats", "batch_norm_inference")


# ---------------------------------------------------------------------------------------------------------
# Validation helpers: the channel axis, the reduced axes, per-channel vectors shaped to broadcast against x.
# ---------------------------------------------------------------------------------------------------------

def _input(x: object, axis: int) -> tuple[np.ndarray, int]:
    x = _checks.floats(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x: expected at least 2 dimensions (a batch and a channel axis), got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"x: expected a non-empty batch, got shape {x.shape}")
    return x, _checks.axis(axis, x.ndim)


def _reduced(x: np.ndarray, ax: int) -> tuple[int, ...]:
    """Every axis but the channel axis: the statistics run over these."""
    return tuple(d for d in range(x.ndim) if d != ax)


def _channel_vector(v: object, name: str, x: np.ndarray, ax: int, *, non_negative: bool = False) -> np.ndarray:
    """A (C,) vector, reshaped to broadcast along `ax` of x."""
    v = _checks.floats(v, name)
    if v.shape != (x.shape[ax],):
        raise ValueError(f"{name}: expected shape ({x.shape[ax]},), one value per channel of x along axis {ax}, "
                         f"got {v.shape}")
    if non_negative and np.any(v < 0):
        raise ValueError(f"{name}: a variance must be non-negative, got {v[v < 0][:3]}")
    shape = [1] * x.ndim
    shape[ax] = x.shape[ax]
    return v.reshape(shape)


def _eps(eps: float) -> float:
    return _checks.positive(eps, "eps")


def batch_size(x: np.ndarray, *, axis: int = 1) -> int:
    """m = x.size / C, the number of values each channel's statistics are taken over."""
    x, ax = _input(x, axis)
    return x.size // x.shape[ax]


# ---------------------------------------------------------------------------------------------------------
# The transform
# ---------------------------------------------------------------------------------------------------------

def batch_statistics(x: np.ndarray, *, axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-channel batch mean and biased variance (Ioffe & Szegedy, Alg. 1).

    \mu_B = \frac{1}{m}\sum_{i=1}^m x_i,   \sigma^2_B = \frac{1}{m}\sum_{i=1}^m (x_i - \mu_B)^2.
    The variance is the biased (1/m) one and is computed in two passes, mean first: the one-pass form
    E[x^2] - E[x]^2 is the same in real arithmetic but cancels catastrophically when |\mu_B| \gg \sigma_B.
    Returns two (C,) vectors.
    """
    x, ax = _input(x, axis)
    red = _reduced(x, ax)
    # On data shifted by each channel's first value (Chan, Golub & LeVeque 1983, §3): the same sums in exact
    # arithmetic, and exact in float64 for a constant channel, whose float64 mean need not round to its value.
    first = x[tuple(slice(0, 1) if d in red else slice(None) for d in range(x.ndim))]
    d = x - first
    mean_d = d.mean(axis=red, keepdims=True)
    var = ((d - mean_d) ** 2).mean(axis=red)
    return (first + mean_d).reshape(-1), var


def batch_norm_train(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5,
                     axis: int = 1) -> np.ndarray:
    r"""Batch normalization in training mode, with the batch's own statistics (Ioffe & Szegedy, Alg. 1).

    \hat x_i = (x_i - \mu_B) / \sqrt{\sigma^2_B + \epsilon},   y_i = \gamma \hat x_i + \beta,
    with \mu_B and the biased \sigma^2_B of `batch_statistics`, per channel, \epsilon > 0.
    m = 1 (one value per channel) is defined here: \sigma^2_B = 0, \hat x = 0 and y = \beta. (Some frameworks
    refuse it in training mode because their running-variance update, Alg. 2's m/(m−1), is undefined there;
    the transform itself is not.)
    """
    x, ax = _input(x, axis)
    eps = _eps(eps)
    g, b = _channel_vector(gamma, "gamma", x, ax), _channel_vector(beta, "beta", x, ax)
    mean, var = batch_statistics(x, axis=ax)
    mean, var = mean.reshape(g.shape), var.reshape(g.shape)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return g * x_hat + b


def batch_norm_train_vjp(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dy: np.ndarray, *,
                         eps: float = 1e-5, axis: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Backward of `batch_norm_train`, the statistics differentiated through (Ioffe & Szegedy §3).

    With \sigma = \sqrt{\sigma^2_B + \epsilon} and means over a channel's m values:
      \partial\ell/\partial\beta  = \sum_i dy_i,
      \partial\ell/\partial\gamma = \sum_i dy_i \hat x_i,
      \partial\ell/\partial x_i   = (\gamma/\sigma) (dy_i - \overline{dy} - \hat x_i \overline{dy\,\hat x}),
    the last being the paper's three terms (through \hat x_i, \sigma^2_B and \mu_B) collected. The \overline{dy}
    term is the mean's gradient, \hat x_i\overline{dy\hat x} the variance's. Returns (dx, dgamma, dbeta).
    """
    x, ax = _input(x, axis)
    eps = _eps(eps)
    dy = _checks.floats(dy, "dy")
    _checks.same_shape(x, dy, "x", "dy")
    g = _channel_vector(gamma, "gamma", x, ax)
    _channel_vector(beta, "beta", x, ax)
    red = _reduced(x, ax)
    mean, var = batch_statistics(x, axis=ax)
    sigma = np.sqrt(var.reshape(g.shape) + eps)
    x_hat = (x - mean.reshape(g.shape)) / sigma
    dbeta = dy.sum(axis=red)
    dgamma = (dy * x_hat).sum(axis=red)
    dx = (g / sigma) * (dy - dy.mean(axis=red, keepdims=True) - x_hat * (dy * x_hat).mean(axis=red, keepdims=True))
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------------------------------------------
# Running statistics and inference
# ---------------------------------------------------------------------------------------------------------

def batch_norm_running_stats(x: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray, *,
                             decay: float = 0.9, axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r"""One update of the running (moving-average) statistics from a training batch.

    v_t = decay \cdot v_{t-1} + (1 - decay) \cdot obs_t, per channel, where the mean's observation is \mu_B and
    the variance's is the UNBIASED \frac{m}{m-1}\sigma^2_B. The unbiased running variance is the source's
    convention: Ioffe & Szegedy, Alg. 2, step 10, Var[x] = \frac{m}{m-1} E_B[\sigma^2_B] (see
    `population_variance`); the moving average is how frameworks estimate that expectation over batches.
    `decay` is the weight of the old state (frameworks call 1 − decay "momentum", or call decay "momentum").
    decay = 1 leaves the state as it is; decay = 0 replaces it with the batch's statistics.
    m = 1 raises ValueError naming x: the unbiased variance m/(m−1)·σ²_B is undefined for one value per channel.
    Returns (new_mean, new_var).
    """
    x, ax = _input(x, axis)
    decay = _checks.fraction(decay, "decay")
    rm = _channel_vector(running_mean, "running_mean", x, ax).reshape(-1)
    rv = _channel_vector(running_var, "running_var", x, ax, non_negative=True).reshape(-1)
    m = x.size // x.shape[ax]
    if m < 2:
        raise ValueError(f"x: the unbiased variance m/(m-1)·σ²_B needs m >= 2 values per channel, got m = {m} "
                         f"(shape {x.shape}, channel axis {ax})")
    mean, var = batch_statistics(x, axis=ax)
    return decay * rm + (1 - decay) * mean, decay * rv + (1 - decay) * (m / (m - 1)) * var


def batch_norm_inference(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray,
                         *, eps: float = 1e-5, axis: int = 1) -> np.ndarray:
    r"""Batch normalization in inference mode, with given (population or running) statistics (Alg. 2, step 11).

    y = \gamma (x - E[x]) / \sqrt{Var[x] + \epsilon} + \beta,  E[x] = `mean`, Var[x] = `var` \ge 0, per channel.
    An affine map of x per channel: see `fused_affine` for its scale and shift.
    """
    x, ax = _input(x, axis)
    eps = _eps(eps)
    g, b = _channel_vector(gamma, "gamma", x, ax), _channel_vector(beta, "beta", x, ax)
    e = _channel_vector(mean, "mean", x, ax)
    v = _channel_vector(var, "var", x, ax, non_negative=True)
    return g * (x - e) / np.sqrt(v + eps) + b


def fused_affine(gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray, *,
                 eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    r"""Inference batch norm as one affine map per channel, y = scale \cdot x + shift (Alg. 2, step 11):

    scale = \gamma / \sqrt{Var[x] + \epsilon},   shift = \beta - \gamma E[x] / \sqrt{Var[x] + \epsilon}.
    Convention: one source document writes \sigma (a standard deviation) where \gamma belongs in the scale
    and shift; the paper's Alg. 2 has \gamma, and so does this spec. Returns ((C,) scale, (C,) shift).
    """
    g = _checks.floats(gamma, "gamma", ndim=1)
    b, e, v = (_checks.floats(a, n, ndim=1) for a, n in ((beta, "beta"), (mean, "mean"), (var, "var")))
    for a, n in ((b, "beta"), (e, "mean"), (v, "var")):
        _checks.same_shape(g, a, "gamma", n)
    if np.any(v < 0):
        raise ValueError(f"var: a variance must be non-negative, got {v[v < 0][:3]}")
    eps = _eps(eps)
    scale = g / np.sqrt(v + eps)
    return scale, b - e * scale


def population_variance(batch_vars: np.ndarray, m: int) -> np.ndarray:
    r"""Population variance estimated from K training batches of m values each (Ioffe & Szegedy, Alg. 2, step 10).

    Var[x] = \frac{m}{m-1} E_B[\sigma^2_B]:  the mean of the batches' biased variances, Bessel-corrected.
    `batch_vars` holds one biased variance per batch along axis 0 ((K,) or (K, C)); m >= 2.
    """
    v = _checks.floats(batch_vars, "batch_vars")
    if v.ndim < 1 or v.shape[0] == 0:
        raise ValueError(f"batch_vars: expected at least one batch along axis 0, got shape {v.shape}")
    if np.any(v < 0):
        raise ValueError(f"batch_vars: a variance must be non-negative, got {v[v < 0][:3]}")
    m = _checks.positive_int(m, "m")
    if m < 2:
        raise ValueError(f"m: the unbiased m/(m-1) correction needs m >= 2, got {m}")
    return m / (m - 1) * v.mean(axis=0)
