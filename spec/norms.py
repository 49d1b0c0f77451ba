r"""Standardization, layer normalization, instance normalization and group normalization, and their backward passes.

All four are one formula applied to different groups of elements. For a group S of n = |S| elements of x,

    \mu_S = \frac1n \sum_{k\in S} x_k,\qquad \sigma_S^2 = \frac1n \sum_{k\in S} (x_k - \mu_S)^2,\qquad
    \hat x_i = \frac{x_i - \mu_S}{\sqrt{\sigma_S^2 + \epsilon}},\qquad y_i = \gamma_c \hat x_i + \beta_c

(Wu & He, "Group Normalization", ECCV 2018, Eq. 1–3; their Fig. 2 draws the groups S for an (N, C, H, W) input):
  * layer norm   S = one sample, every axis but the batch axis     (Ba, Kiros, Hinton, "Layer Normalization", 2016)
  * instance norm S = one (sample, channel), the spatial axes       (Ulyanov, Vedaldi, Lempitsky, 2016, Eq. 4)
  * group norm   S = one sample, C/G consecutive channels and the spatial axes (Wu & He, Eq. 3 with G groups)

Conventions the spec picks (the papers leave them implicit):
  * the variance is the biased one (divide by n, not n − 1), as in all three papers and every framework;
  * ε is added to the variance inside the square root (Wu & He Eq. 1), so a constant group gives x̂ = 0, y = β;
  * a group of one element has σ² = 0 and therefore x̂ = 0, y = β (defined; not an error);
  * layer norm's γ, β have the shape of one sample, x.shape[1:] (an elementwise affine, as torch.nn.LayerNorm and
    keras.layers.LayerNormalization have it); instance and group norm's γ, β are per channel, shape (C,);
  * the layout is channels-first, (N, C, *spatial); channels-last APIs are audited through a transpose.
The reference computes in float64 with the two-pass variance mean((x − μ)²) on data shifted by one of the group's
own elements: the one-pass E[x²] − E[x]² loses every digit when |μ| ≫ σ (Chan, Golub, LeVeque, "Algorithms for
computing the sample variance: analysis and recommendations", The American Statistician 37(3), 1983).
Every output satisfies |x̂_i| <= √(n − 1) (equality for a group with one outlier): a result outside is wrong
whatever the precision.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _checks

OPS = ("standardize", "layer_norm", "layer_norm_vjp", "instance_norm", "group_norm", "group_norm_vjp")


# ---------------------------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------------------------

def _axes(axis: int | Sequence[int], ndim: int) -> tuple[int, ...]:
    """`axis` (an int or a sequence of ints, NumPy int arrays included) as sorted non-negative axes."""
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return (_checks.axis(axis, ndim),)
    try:
        items = list(np.asarray(axis).reshape(-1)) if isinstance(axis, np.ndarray) else list(axis)
    except TypeError:
        raise ValueError(f"axis: expected an int or a sequence of ints, got {axis!r}") from None
    if not items:
        raise ValueError("axis: expected at least one axis, got an empty sequence")
    axes = [_checks.axis(a, ndim) for a in items]
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis: repeated axis in {tuple(int(a) for a in items)}")
    return tuple(sorted(axes))


def _eps(eps: float) -> float:
    return _checks.positive(eps, "eps")


def _x(x: np.ndarray, min_ndim: int, layout: str) -> np.ndarray:
    x = _checks.floats(x, "x")
    if x.ndim < min_ndim:
        raise ValueError(f"x: expected at least {min_ndim} dimensions {layout}, got shape {x.shape}")
    return x


def _affine(p: np.ndarray, name: str, shape: tuple[int, ...]) -> np.ndarray:
    p = _checks.floats(p, name)
    if p.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {p.shape}")
    return p


def _groups(groups: int, channels: int) -> int:
    g = _checks.positive_int(groups, "groups")
    if channels % g:
        raise ValueError(f"groups: {g} does not divide the {channels} channels")
    return g


def _dy(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    dy = _checks.floats(dy, "dy")
    _checks.same_shape(x, dy, "x", "dy")
    return dy


# ---------------------------------------------------------------------------------------------------------
# The shared formula
# ---------------------------------------------------------------------------------------------------------

def _centred(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """x − μ and the biased σ² over `axes`: the two-pass variance, on data shifted by each group's first element.

    In exact arithmetic x − μ = d − mean(d) for d = x − r, any r. Taking r in the group makes d exact (zero for
    a constant group, whose float64 mean need not round to its value) and shrinks the cancellation to the spread
    (Chan, Golub, LeVeque 1983, §3: shifted data).
    """
    first = tuple(slice(0, 1) if a in axes else slice(None) for a in range(x.ndim))
    d = x - x[first]
    c = d - d.mean(axis=axes, keepdims=True)
    return c, (c**2).mean(axis=axes, keepdims=True)


def _standardize_vjp(x_hat: np.ndarray, s: np.ndarray, g: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    r"""Backward of x̂ over `axes` for a cotangent g of x̂:  (g − mean(g) − x̂·mean(g x̂)) / s.

    From ∂x̂_i/∂x_j = (δ_ij − 1/n − x̂_i x̂_j / n) / s, s = √(σ² + ε) (exact with ε: ∂s/∂x_j = (x_j − μ)/(n s)).
    """
    return (g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)) / s


def _grouped(x: np.ndarray, groups: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """(N, C, *spatial) viewed as (N, G, C/G, *spatial), and the axes of one group: 2 onwards."""
    n, c = x.shape[:2]
    xg = x.reshape(n, groups, c // groups, *x.shape[2:])
    return xg, tuple(range(2, xg.ndim))


def _per_channel(p: np.ndarray, ndim: int) -> np.ndarray:
    """A (C,) parameter broadcast against (N, C, *spatial)."""
    return p.reshape((1, -1) + (1,) * (ndim - 2))


# ---------------------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------------------

def standardize(x: np.ndarray, *, axis: int | Sequence[int] = -1, eps: float = 1e-5) -> np.ndarray:
    r"""Standardize over `axis` (an int or a tuple of ints): no affine.

    \hat x = (x - \mu) / \sqrt{\sigma^2 + \epsilon},  μ and the biased σ² taken over the axes in `axis`.
    The S of the module docstring is every slice spanned by `axis`. (jax.nn.standardize is this operation.)
    """
    x = _checks.floats(x, "x")
    axes = _axes(axis, x.ndim)
    eps = _eps(eps)
    c, var = _centred(x, axes)
    return c / np.sqrt(var + eps)


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5) -> np.ndarray:
    r"""Layer normalization of x = (N, *features): each sample normalised over all its features.

    y = \gamma \odot \hat x + \beta,  \hat x = standardize(x, axis = (1, …, ndim − 1));  γ, β of shape x.shape[1:].
    Ba, Kiros, Hinton (2016) Eq. 3–4 (statistics over the H hidden units of a layer); for (N, C, H, W) the set S
    is one sample's C·H·W values (Wu & He 2018, Eq. 3 with S_i = {k | k_N = i_N} and Fig. 2).
    """
    x = _x(x, 2, "(N, *features)")
    gamma = _affine(gamma, "gamma", x.shape[1:])
    beta = _affine(beta, "beta", x.shape[1:])
    eps = _eps(eps)
    return gamma * standardize(x, axis=tuple(range(1, x.ndim)), eps=eps) + beta


def layer_norm_vjp(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dy: np.ndarray, *, eps: float = 1e-5
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Backward of layer_norm: (dx, dγ, dβ) for the cotangent dy.

    With g = γ ⊙ dy and means over one sample's n features:
      dx = (g − mean(g) − \hat x ⊙ mean(g ⊙ \hat x)) / \sqrt{σ² + ε}   (the last two terms are the paths
      through μ and through σ²),   dγ = Σ_batch dy ⊙ \hat x,   dβ = Σ_batch dy.
    """
    x = _x(x, 2, "(N, *features)")
    gamma = _affine(gamma, "gamma", x.shape[1:])
    _affine(beta, "beta", x.shape[1:])
    dy = _dy(dy, x)
    eps = _eps(eps)
    axes = tuple(range(1, x.ndim))
    c, var = _centred(x, axes)
    s = np.sqrt(var + eps)
    dx = _standardize_vjp(c / s, s, gamma * dy, axes)
    x_hat = c / s
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


def instance_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5) -> np.ndarray:
    r"""Instance normalization of x = (N, C, *spatial), at least one spatial axis.

    y_{nc·} = \gamma_c \hat x_{nc·} + \beta_c, \hat x_{nc·} = standardize(x_{nc·}) over the spatial axes;
    γ, β of shape (C,). Ulyanov, Vedaldi, Lempitsky, "Instance Normalization" (2016), Eq. 4; Wu & He (2018)
    Eq. 3 with S_i = {k | k_N = i_N, k_C = i_C}. Statistics from the input itself, never running averages.
    """
    x = _x(x, 3, "(N, C, *spatial) with at least one spatial axis")
    c = x.shape[1]
    gamma = _affine(gamma, "gamma", (c,))
    beta = _affine(beta, "beta", (c,))
    eps = _eps(eps)
    x_hat = standardize(x, axis=tuple(range(2, x.ndim)), eps=eps)
    return _per_channel(gamma, x.ndim) * x_hat + _per_channel(beta, x.ndim)


def group_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, groups: int, eps: float = 1e-5
               ) -> np.ndarray:
    r"""Group normalization of x = (N, C, *spatial) (spatial may be empty) with `groups` groups of channels.

    The C channels split into G = `groups` groups of C/G consecutive channels; each (sample, group) is
    standardized over its C/G channels and all spatial positions; then y = γ_c \hat x + β_c, γ, β of shape (C,).
    Wu & He (2018) Eq. 1–3 with S_i = {k | k_N = i_N, ⌊k_C/(C/G)⌋ = ⌊i_C/(C/G)⌋}. G = 1 is layer norm with
    per-channel γ, β; G = C is instance norm. G must divide C.
    """
    x = _x(x, 2, "(N, C, *spatial)")
    c = x.shape[1]
    g = _groups(groups, c)
    gamma = _affine(gamma, "gamma", (c,))
    beta = _affine(beta, "beta", (c,))
    eps = _eps(eps)
    xg, axes = _grouped(x, g)
    x_hat = standardize(xg, axis=axes, eps=eps).reshape(x.shape)
    return _per_channel(gamma, x.ndim) * x_hat + _per_channel(beta, x.ndim)


def group_norm_vjp(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dy: np.ndarray, *, groups: int,
                   eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Backward of group_norm: (dx, dγ, dβ) for the cotangent dy.

    With g = γ_c dy and means over one (sample, group):  dx = (g − mean(g) − \hat x ⊙ mean(g ⊙ \hat x)) / √(σ² + ε);
    dγ_c = Σ_{n, spatial} dy ⊙ \hat x,  dβ_c = Σ_{n, spatial} dy.
    """
    x = _x(x, 2, "(N, C, *spatial)")
    c = x.shape[1]
    g = _groups(groups, c)
    gamma = _affine(gamma, "gamma", (c,))
    _affine(beta, "beta", (c,))
    dy = _dy(dy, x)
    eps = _eps(eps)
    xg, axes = _grouped(x, g)
    c, var = _centred(xg, axes)
    s = np.sqrt(var + eps)
    x_hat = c / s
    cot = (_per_channel(gamma, x.ndim) * dy).reshape(xg.shape)
    dx = _standardize_vjp(x_hat, s, cot, axes).reshape(x.shape)
    x_hat = x_hat.reshape(x.shape)
    others = (0, *range(2, x.ndim))
    return dx, (dy * x_hat).sum(axis=others), dy.sum(axis=others)
