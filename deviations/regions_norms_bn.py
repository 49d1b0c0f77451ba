"""Regions of the batch-norm and norms deviations: where (over the case and the dtype) a framework deviates.

One predicate `<name>(case, dtype) -> bool` per region, named by the catalogue entries' `region` key; the lead
merges this file into deviations/regions.py. Each is tested in tests/test_regions_norms_bn.py: true on its
entry's minimal example, false on a near case outside.
"""

from __future__ import annotations

import numpy as np

FLOAT16_SMALLEST_SUBNORMAL = 2.0**-24
"""float16's smallest positive (subnormal) value; round-to-nearest-even sends every ε <= 2^-25 to 0."""


def _channel_values(x: np.ndarray, axis: int) -> np.ndarray:
    """x as (C, m): one row per channel of the batch-norm layout."""
    x = np.asarray(x, dtype=np.float64)
    return np.moveaxis(x, axis % x.ndim, 0).reshape(x.shape[axis % x.ndim], -1)


def half_eps_zero_on_constant_channel(case, dtype: str) -> bool:
    """float16 data, ε <= 2^-25 and a channel whose values are all equal (σ²_B = 0).

    Derivation: torch's CPU batch norm for Half casts ε to the input dtype before √(σ²_B + ε); ε rounds to the
    nearest float16, and every ε at or below half the smallest subnormal 2^-24 (i.e. <= 2^-25 ≈ 2.98e-8: BERT's
    1e-12, 1e-8) becomes 0. Then a channel with σ²_B = 0 has 1/√0 = ∞ and (x − μ_B)·∞ = 0·∞ = NaN. A channel
    with σ²_B > 0 stays finite (σ²_B itself is computed in float32), so the region needs both conditions.
    """
    if dtype != "float16" or not float(case.eps) <= FLOAT16_SMALLEST_SUBNORMAL / 2:
        return False
    rows = _channel_values(case.x, case.axis)
    return bool(np.any(np.all(rows == rows[:, :1], axis=1)))
