"""The conv/pooling deviation regions: each predicate holds on its catalogued minimal example and not just outside."""

from __future__ import annotations

import numpy as np

from dlspec.deviations import load as load_catalogue
from dlspec.deviations import regions_conv_pool as R
from dlspec.properties.harness import Case


def _examples(region: str):
    rows = [d for d in load_catalogue() if d.region == region]
    assert rows, f"no catalogue entry names region {region!r}"
    return rows


def test_avg_pool_long_window_low_precision_holds_on_its_examples() -> None:
    for d in _examples("avg_pool_long_window_low_precision"):
        case = Case(**{k: np.asarray(v) if isinstance(v, list) else v for k, v in d.examples[0].case.items()})
        for dtype in d.dtypes or ("float16", "bfloat16"):
            assert R.avg_pool_long_window_low_precision(case, dtype), (d.id, dtype)


def test_avg_pool_long_window_low_precision_excludes_near_cases() -> None:
    case = Case(x=np.full((1, 1, 1, 66), 100.5), kernel=(1, 66), stride=(1, 66), padding="valid", ceil_mode=False,
                count_include_pad=False)
    assert not R.avg_pool_long_window_low_precision(case, "float32")  # float32: no narrower accumulator
    short = Case(x=np.full((1, 1, 1, 7), 100.5), kernel=(1, 7), stride=(1, 7), padding="valid", ceil_mode=False,
                 count_include_pad=False)
    assert not R.avg_pool_long_window_low_precision(short, "bfloat16")  # K = 7 < 8
