"""Regions of the conv and pooling families' catalogued deviations: where, in input space, a framework deviates.

One predicate per region named in deviations/*.toml (`region = "<name>"`), `<name>(case, dtype) -> bool`, true on
the inputs where the framework may deviate from the spec (the lead merges these into deviations/regions.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

LOW_PRECISION = ("float16", "bfloat16")


def avg_pool_long_window_low_precision(case: Any, dtype: str) -> bool:
    """Average pooling in float16/bfloat16 with windows of K = K_h·K_w >= 8 cells.

    Threshold: a running window sum in the dtype (flax.linen.avg_pool, tf.nn.avg_pool2d on CPU) rounds each partial
    sum S_k (k = 2..K) by up to u·|S_k|, u = ε/2. For values of one sign, |S_k| <= k·max|x| and, for a constant
    window, the mean errs by up to u·(K(K + 1)/2 − 1)/K ≈ ε(K + 1)/4 of the mean. The spec's budget for float32
    accumulation is 2ε (+ (K + 1)·ε_32, negligible), so the dtype sum can exceed it once (K + 1)/4 > 2, K >= 8.
    Observed: the 66-cell windows of the rare buckets fail, windows of <= 17 cells passed the CI profile.
    """
    if dtype not in LOW_PRECISION:
        return False
    kh, kw = (int(v) for v in np.ravel(case.kernel))
    return kh * kw >= 8
