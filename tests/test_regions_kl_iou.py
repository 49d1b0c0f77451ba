"""The KL and mean-IoU families' deviation regions (deviations/regions_kl_iou.py): each true on its catalogue
entry's minimal example and false on a near case just outside."""

from __future__ import annotations

import numpy as np
import pytest

from dlspec.deviations import load
from dlspec.deviations.regions_kl_iou import torch_normal_kl_variance_ratio_below_tiny
from dlspec.properties.harness import Case


def _entries(region: str):
    return [d for d in load() if d.region == region]


@pytest.mark.parametrize("entry", _entries("torch_normal_kl_variance_ratio_below_tiny"), ids=lambda d: d.id)
def test_torch_normal_kl_region_holds_its_minimal_examples(entry):
    for example in entry.examples:
        case = Case(**{k: np.asarray(v) if isinstance(v, list) else v for k, v in example.case.items()})
        for dtype in example.dtypes or entry.dtypes:
            assert torch_normal_kl_variance_ratio_below_tiny(case, dtype)


@pytest.mark.parametrize(("dtype", "sigma"), [("float16", 8e-3), ("bfloat16", 1.2e-19), ("float32", 1.2e-19),
                                              ("float64", 1.6e-154)])
def test_torch_normal_kl_region_excludes_a_ratio_just_above_the_square_root_of_tiny(dtype, sigma):
    near = Case(mu=np.zeros((1, 1)), sigma=np.full((1, 1), sigma), axis=0)
    assert not torch_normal_kl_variance_ratio_below_tiny(near, dtype)
    pair = Case(mu1=np.zeros(1), sigma1=np.array([sigma * 1e3]), mu2=np.zeros(1), sigma2=np.array([1e3]))
    assert not torch_normal_kl_variance_ratio_below_tiny(pair, dtype)
    pair_inside = Case(mu1=np.zeros(1), sigma1=np.array([sigma / 2]), mu2=np.zeros(1), sigma2=np.array([1.0]))
    assert torch_normal_kl_variance_ratio_below_tiny(pair_inside, dtype)


def test_every_entry_of_these_regions_is_catalogued():
    assert len(_entries("torch_normal_kl_variance_ratio_below_tiny")) == 1  # one cause, every dtype's example
