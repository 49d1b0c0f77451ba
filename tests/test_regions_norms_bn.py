"""Each region predicate of deviations/regions_norms_bn.py: true on its catalogue entries' minimal examples, false
on near cases outside it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dlspec.deviations import regions_norms_bn as R
from dlspec.properties.harness import Case

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (as dlspec/deviations does)
    import tomli as tomllib

CATALOGUE = Path(__file__).resolve().parent.parent / "deviations"


def _entries(region: str) -> list[dict]:
    found = []
    for path in sorted(CATALOGUE.glob("*.toml")):
        for e in tomllib.loads(path.read_text()).get("deviation", []):
            if e.get("region") != region:
                continue
            for ex in e.get("examples") or [{"case": e["example"]}]:  # one item per catalogued example
                found.append({**e, "example": ex["case"], "dtypes": ex.get("dtypes", e.get("dtypes"))})
    return found


def test_every_region_of_this_file_has_entries() -> None:
    assert _entries("half_inverse_std_overflows") and _entries("half_variance_and_eps_round_to_zero")


@pytest.mark.parametrize("entry", _entries("half_inverse_std_overflows"), ids=lambda e: e["id"])
def test_half_inverse_std_overflows_holds_on_its_example(entry: dict) -> None:
    case = Case.from_example(entry["example"])
    for dtype in entry["dtypes"]:
        assert R.half_inverse_std_overflows(case, dtype), entry["id"]


def test_half_inverse_std_overflows_excludes_near_cases() -> None:
    channel = {"x": [[0.125, -0.25], [0.125, 0.5]], "gamma": [1.0, 1.0], "beta": [0.0, 0.0], "axis": 1}
    assert R.half_inverse_std_overflows(Case.from_example({**channel, "eps": 2.2e-10}), "float16")
    # ε = 2.5e-10 > 65504^-2: 1/√ε = 63246 fits in float16 (measured: y = 0, not NaN)
    assert not R.half_inverse_std_overflows(Case.from_example({**channel, "eps": 2.5e-10}), "float16")
    # no group with σ² + ε that small: σ² = (1/64)² per channel
    varied = {**channel, "x": [[0.125, -0.25], [0.15625, 0.5]], "eps": 1e-12}
    assert not R.half_inverse_std_overflows(Case.from_example(varied), "float16")
    # other dtypes keep 1/√(σ² + ε) in float32
    assert not R.half_inverse_std_overflows(Case.from_example({**channel, "eps": 1e-12}), "bfloat16")
    # layer norm: a sample is the group; instance norm: a (sample, channel)
    sample = {"x": [[0.125, 0.125]], "gamma": [1.0, 1.0], "beta": [0.0, 0.0], "eps": 1e-12}
    assert R.half_inverse_std_overflows(Case.from_example(sample), "float16")
    assert not R.half_inverse_std_overflows(Case.from_example({**sample, "x": [[0.125, 0.25]]}), "float16")
    spatial = {"x": [[[0.125, 0.25], [0.5, 0.5]]], "gamma": [1.0, 1.0], "beta": [0.0, 0.0], "eps": 1e-12}
    assert R.half_inverse_std_overflows(Case.from_example(spatial), "float16")  # channel 1 is constant


@pytest.mark.parametrize("entry", _entries("half_variance_and_eps_round_to_zero"), ids=lambda e: e["id"])
def test_half_variance_and_eps_round_to_zero_holds_on_its_example(entry: dict) -> None:
    case = Case.from_example(entry["example"])
    for dtype in entry["dtypes"]:
        assert R.half_variance_and_eps_round_to_zero(case, dtype), entry["id"]


def test_half_variance_and_eps_round_to_zero_excludes_near_cases() -> None:
    channel = {"x": [[0.125, -0.25], [0.125, 0.5]], "gamma": [1.0, 1.0], "beta": [0.0, 0.0], "axis": 1}
    assert R.half_variance_and_eps_round_to_zero(Case.from_example({**channel, "eps": 2.0**-25}), "float16")
    # ε = 2^-24 is float16's smallest subnormal: σ²_B + ε = 2^-24, rsqrt = 4096, finite
    assert not R.half_variance_and_eps_round_to_zero(Case.from_example({**channel, "eps": 2.0**-24}), "float16")
    # no channel with σ²_B <= 2^-25
    varied = {**channel, "x": [[0.125, -0.25], [0.15625, 0.5]], "eps": 1e-12}
    assert not R.half_variance_and_eps_round_to_zero(Case.from_example(varied), "float16")
    assert not R.half_variance_and_eps_round_to_zero(Case.from_example({**channel, "eps": 1e-12}), "float32")


@pytest.mark.parametrize("entry", _entries("half_mean_of_squares_overflows"), ids=lambda e: e["id"])
def test_half_mean_of_squares_overflows_holds_on_its_example(entry: dict) -> None:
    case = Case.from_example(entry["example"])
    for dtype in entry["dtypes"]:
        assert R.half_mean_of_squares_overflows(case, dtype), entry["id"]


def test_half_mean_of_squares_overflows_excludes_near_cases() -> None:
    base = {"x": [[1.0, 2.0]], "axis": -1, "eps": 1e-5}
    assert R.half_mean_of_squares_overflows(Case.from_example({**base, "scaled": [[256.0, 512.0]]}), "float16")
    # a scale of 128: mean of squares 40960 < 65504
    assert not R.half_mean_of_squares_overflows(Case.from_example({**base, "scaled": [[128.0, 256.0]]}), "float16")
    assert not R.half_mean_of_squares_overflows(Case.from_example({**base, "scaled": [[256.0, 512.0]]}), "float32")


@pytest.mark.parametrize("entry", _entries("one_pass_variance_cancels_in_slices"), ids=lambda e: e["id"])
def test_one_pass_variance_cancels_holds_on_its_example(entry: dict) -> None:
    case = Case.from_example(entry["example"])
    for dtype in entry["dtypes"]:
        assert R.one_pass_variance_cancels_in_slices(case, dtype), entry["id"]


def test_one_pass_variance_cancels_excludes_near_cases() -> None:
    offset = {"x": [[10.125, 9.875, 10.5, 9.625]], "axis": -1, "eps": 1e-5}
    assert R.one_pass_variance_cancels_in_slices(Case.from_example(offset), "float32")
    centred = {**offset, "x": [[0.125, -0.125, 0.5, -0.375]]}
    assert not R.one_pass_variance_cancels_in_slices(Case.from_example(centred), "float32")
