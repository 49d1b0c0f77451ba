"""Each region predicate of deviations/regions_norms_bn.py: true on its catalogue entry's minimal example, false
on a near case outside it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (as dlspec/deviations does)
    import tomli as tomllib

from dlspec.deviations import regions_norms_bn as R
from dlspec.properties.harness import Case

CATALOGUE = Path(__file__).resolve().parent.parent / "deviations"


def _entries(region: str) -> list[dict]:
    found = []
    for path in sorted(CATALOGUE.glob("*.toml")):
        found += [e for e in tomllib.loads(path.read_text()).get("deviation", []) if e.get("region") == region]
    return found


@pytest.mark.parametrize("entry", _entries("half_eps_zero_on_constant_channel"), ids=lambda e: e["id"])
def test_half_eps_zero_on_constant_channel_holds_on_its_example(entry: dict) -> None:
    case = Case.from_example(entry["example"])
    for dtype in entry["dtypes"]:
        assert R.half_eps_zero_on_constant_channel(case, dtype), entry["id"]


def test_half_eps_zero_on_constant_channel_excludes_near_cases() -> None:
    constant = {"x": [[0.125, -0.25], [0.125, 0.5]], "gamma": [1.0, 1.0], "beta": [0.0, 0.0], "axis": 1}
    assert R.half_eps_zero_on_constant_channel(Case.from_example({**constant, "eps": 1e-12}), "float16")
    # ε = 2^-24 (float16's smallest subnormal) does not round to 0
    assert not R.half_eps_zero_on_constant_channel(Case.from_example({**constant, "eps": 2.0**-24}), "float16")
    # no constant channel
    varied = {**constant, "x": [[0.125, -0.25], [0.25, 0.5]], "eps": 1e-12}
    assert not R.half_eps_zero_on_constant_channel(Case.from_example(varied), "float16")
    # another dtype
    assert not R.half_eps_zero_on_constant_channel(Case.from_example({**constant, "eps": 1e-12}), "float32")
