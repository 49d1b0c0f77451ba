"""Regions of the KL and mean-IoU families' catalogue entries: where a framework deviates, as predicates over a
property's case and the dtype (to be merged into deviations/regions.py).

Each predicate takes the `Case` of the property the entry names and the dtype under test, and says whether the
case lies in the region the entry's `region_doc` describes.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import tiny


def _variance_ratios(case) -> np.ndarray:
    """(σ1/σ2)² of every Gaussian pair the case's property compares (σ2 = 1 for the VAE-style cases)."""
    if hasattr(case, "sigma1"):
        sigma1, sigma2 = np.asarray(case.sigma1, float), np.asarray(case.sigma2, float)
    else:  # gaussian_kl(μ, σ, 0, 1): the second Gaussian is standard
        sigma1 = np.asarray(case.sigma, float)
        sigma2 = np.ones_like(sigma1)
    with np.errstate(under="ignore", over="ignore", divide="ignore"):
        return (sigma1 / sigma2) ** 2


def torch_normal_kl_variance_ratio_below_tiny(case, dtype: str) -> bool:
    r"""Some Gaussian pair has (σ1/σ2)² below the dtype's smallest normal.

    torch.distributions' Normal–Normal KL computes var_ratio = (σ1/σ2)² in the dtype and takes its log. A value
    below tiny (the smallest normal) is stored as a subnormal with fewer than p significant bits — at x the
    relative spacing is tiny·ε/x, so its log errs by about that much, beyond the model's LIBM·ε·|log v| once
    x ≲ tiny/LIBM — and below half the smallest subnormal it is 0, whose log is −∞ (D = +∞). The region starts
    at tiny, where the first digit is lost; its edge in σ1/σ2 is √tiny: 7.8e-3 (float16), 1.1e-19 (bfloat16,
    float32), 1.5e-154 (float64).
    """
    return bool(np.any(_variance_ratios(case) < tiny(dtype)))
