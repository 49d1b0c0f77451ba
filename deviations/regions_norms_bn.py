"""Regions of the batch-norm and norms deviations: where (over the case and the dtype) a framework deviates.

One predicate `<name>(case, dtype) -> bool` per region, named by the catalogue entries' `region` key; the lead
merges this file into deviations/regions.py. Each is tested in tests/test_regions_norms_bn.py: true on its
entries' minimal examples, false on near cases outside.
"""

from __future__ import annotations

import numpy as np

FLOAT16_MAX = 65504.0
HALF_RSTD_LIMIT = FLOAT16_MAX**-2
"""σ² + ε below (1/65504)² ≈ 2.33e-10: 1/√(σ² + ε) exceeds float16's largest value."""


def _groups(case, x: np.ndarray) -> np.ndarray:
    """x as (groups, values): the normalisation groups of the operation the case belongs to (batch norm: a channel
    along `axis`; group norm: `groups`; instance norm: a (sample, channel); layer norm: a sample)."""
    x = np.asarray(x, dtype=np.float64)
    fields = case.fields()
    if "groups" in fields:
        return x.reshape(x.shape[0] * int(case.groups), -1)
    if "axis" in fields:
        ax = int(case.axis) % x.ndim
        return np.moveaxis(x, ax, 0).reshape(x.shape[ax], -1)
    if x.ndim >= 3 and np.shape(case.gamma) == (x.shape[1],):
        return x.reshape(x.shape[0] * x.shape[1], -1)
    return x.reshape(x.shape[0], -1)


def _smallest_var_plus_eps(case, x: np.ndarray, eps: float) -> float:
    groupings = [_groups(case, x)]
    if "groups" in case.fields() and np.ndim(x) >= 3:
        # the group-norm properties also compare with instance norm (G = C): each (sample, channel) is a group too
        groupings.append(np.asarray(x, dtype=np.float64).reshape(x.shape[0] * x.shape[1], -1))
    smallest = np.inf
    for g in groupings:
        d = g - g[:, :1]  # shifted by the first value: exact for a constant group
        smallest = min(smallest, float(np.min(((d - d.mean(axis=1, keepdims=True)) ** 2).mean(axis=1))))
    return smallest + eps


def _inputs_with_eps(case) -> list[tuple[np.ndarray, float]]:
    """Each input the property normalises with its ε: x, the shifted x (same ε), the scaled x (its scaled ε)."""
    fields = case.fields()
    pairs = [(case.x, float(case.eps))]
    if "shifted" in fields:
        pairs.append((case.shifted, float(case.eps)))
    if "scaled" in fields:
        pairs.append((case.scaled, float(case.scaled_eps)))
    return pairs


def half_inverse_std_overflows(case, dtype: str) -> bool:
    """float16 data with a normalisation group (any input the property passes: x, the shifted or the scaled x
    with its ε) whose σ² + ε is below (1/65504)² ≈ 2.33e-10.

    Derivation: torch's CPU kernels for Half keep the inverse standard deviation 1/√(σ² + ε) in float16 — in the
    batch-norm and instance-norm forward (instance norm runs the batch-norm kernel) and in the layer-norm and
    group-norm backward. It overflows to inf once 1/√(σ² + ε) > 65504, i.e. σ² + ε < 65504^-2; then
    (x − μ)·inf, or the folded x·α + (β − μα) with α = inf, is ±inf − inf = NaN for the whole group, while the
    spec's x̂ stays in [−√(n − 1), √(n − 1)]. Measured: ε = 2.5e-10 on a constant channel gives 0, ε = 2.2e-10
    gives NaN; a group with σ² = 2.5e-9 and ε = 1e-12 is fine. BERT's ε = 1e-12 with a constant (padding) group
    is inside; every ε >= 2.4e-10 is outside whatever the data.
    """
    if dtype != "float16":
        return False
    pairs = _inputs_with_eps(case)
    return any(_smallest_var_plus_eps(case, x, e) < HALF_RSTD_LIMIT for x, e in pairs)


FLOAT16_HALF_SMALLEST_SUBNORMAL = 2.0**-25
"""Half of float16's smallest subnormal 2^-24: every value at or below it rounds (to nearest, ties to even) to 0."""


def half_variance_and_eps_round_to_zero(case, dtype: str) -> bool:
    """float16 data with ε <= 2^-25 and a channel (of x, or of the shifted or scaled x with its ε) whose σ²_B <= 2^-25.

    Derivation: tf.nn.moments computes a float16 input's statistics in float32 but returns them in float16, and
    tf.nn.batch_normalization adds ε (converted to float16) and takes rsqrt in float16. A float16 value <= 2^-25
    rounds to 0, so σ²_B + ε = 0 exactly when both are at or below 2^-25, rsqrt(0) = inf, and the folded
    x·inf + (β − μ·inf) is NaN for the channel. If either rounds to a nonzero float16 (>= 2^-24), rsqrt is at
    most 2^12 and finite: outside. (Unlike torch's kernels the overflow of 1/√ itself cannot happen here: the
    smallest nonzero float16 sum is 2^-24, whose rsqrt is 4096.)
    """
    if dtype != "float16":
        return False
    pairs = _inputs_with_eps(case)
    return any(e <= FLOAT16_HALF_SMALLEST_SUBNORMAL
               and _smallest_var_plus_eps(case, x, 0.0) <= FLOAT16_HALF_SMALLEST_SUBNORMAL for x, e in pairs)


def half_mean_of_squares_overflows(case, dtype: str) -> bool:
    """float16 data (x, or the scaled x) with a standardized slice whose mean of squares exceeds 65504.

    Derivation: jax.nn.standardize's default ('fast') variance is mean(x²) − mean(x)², evaluated in the input
    dtype; in float16, mean(x²) — or any partial sum of squares on the way to it, which is at least as large as
    the mean — is inf once the mean of squares passes 65504 (e.g. |x| around 256), and inf − inf or x/inf make
    the slice NaN or 0. Below that threshold the same algorithm may still be inaccurate (the one-pass cause of
    jax-standardize-one-pass-standardize-f16-bf16), but not by overflow.
    """
    if dtype != "float16":
        return False
    axes = case.axis if isinstance(case.axis, (tuple, list)) else (case.axis,)
    arrays = [case.x] + ([case.scaled] if "scaled" in case.fields() else [])
    for x in arrays:
        x = np.asarray(x, dtype=np.float64)
        if np.any((x**2).mean(axis=tuple(a % x.ndim for a in axes)) > FLOAT16_MAX):
            return True
    return False


def one_pass_variance_cancels_in_slices(case, dtype: str) -> bool:
    """A standardized slice whose one-pass error bound u·n·κ² (κ² = mean x²/σ²) exceeds 4 times the two-pass /
    Welford allowance u(n + 3)(1 + max|x|/σ) of the error model (properties/_normalisation.py).

    Derivation: mean(x²) − mean(x)² errs by about u·n·mean(x²) = u·n·κ²σ² (Chan, Golub & LeVeque 1983), the
    accepted algorithms by u(n + 3)(σ² + max|x|·σ); where the first is several times the second the one-pass
    result can leave the allowance, and does once the rounding errors do not cancel by luck. Any dtype: the ratio
    does not depend on u.
    """
    axes = case.axis if isinstance(case.axis, (tuple, list, np.ndarray)) else (case.axis,)
    inputs = [case.x] + ([case.scaled] if getattr(case, "scaled", None) is not None else [])
    for x in inputs:  # x, and the scaled x of the scale-invariance property
        x = np.asarray(x, dtype=np.float64)
        red = tuple(int(a) % x.ndim for a in np.asarray(axes).reshape(-1))
        n = int(np.prod([x.shape[a] for a in red]))
        mu = x.mean(axis=red, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=red)
        mean_sq = (x**2).mean(axis=red)
        big = np.abs(x).max(axis=red)
        with np.errstate(divide="ignore", invalid="ignore"):
            one_pass = n * mean_sq
            accepted = (n + 3) * (var + big * np.sqrt(var))
            if np.any((var > 0) & (one_pass > 4 * accepted)):
                return True
    return False
