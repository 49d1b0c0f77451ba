"""The command line: backend groups for parallel audits, and the combination of their reports."""

from __future__ import annotations

import pytest

from dlspec import report as rep
from dlspec.cli import _COST, _groups
from dlspec.pytest_plugin import in_shard, parse_shard


def test_backend_groups_cover_every_backend_once_and_balance_the_measured_load():
    names = ["spec", "numpy", "torch:functional", "torch:nn", "jax:nn", "jax:lax", "tensorflow:nn", "tensorflow:keras"]
    groups = _groups(names, 2)
    assert sorted(n for g in groups for n in g) == sorted(names)
    loads = [sum(_COST[n] for n in g) for g in groups]
    assert max(loads) <= 0.6 * sum(loads)  # the 12-minute single-framework split was 0.56 at best, 0.66 before
    assert not any({"tensorflow:nn", "tensorflow:keras"} <= set(g) for g in groups)  # the two heaviest apart


def test_fewer_frameworks_than_jobs_gives_fewer_groups():
    assert _groups(["numpy"], 4) == [["numpy"]]


def test_combining_parts_of_one_run_keeps_every_column_and_result():
    run = rep.run_info(profile="ci", max_examples=100, seed=None, label=None)
    parts = []
    for name in ("numpy-cpu-float32", "torch:functional-cpu-float32"):
        impl = {"id": name, "backend": name.split("-")[0], "framework": "x", "version": "1", "device": "cpu",
                "dtype": "float32", "machine": "m", "label": "m"}
        parts.append(rep.build(run, {name: impl}, [{"property": "p", "family": "f", "implementation": name,
                                                     "outcome": "pass"}]))
    combined = rep.combine(parts)
    assert [i["id"] for i in combined["implementations"]] == ["numpy-cpu-float32", "torch:functional-cpu-float32"]
    assert len(combined["results"]) == 2 and combined["run"] == run


def test_shards_partition_the_items_and_bad_shards_are_usage_errors():
    ids = [f"tests/test_softmax.py::test_softmax_matches_spec[numpy-cpu-{d}]" for d in ("float16", "float32")] + [
        f"tests/test_conv.py::test_{i}[torch:functional-cpu-float32]" for i in range(50)]
    for n in (1, 3, 7):
        owners = [[k for k in range(n) if in_shard(i, k, n)] for i in ids]
        assert all(len(o) == 1 for o in owners)
        assert n == 1 or len({o[0] for o in owners}) > 1  # not everything in one shard
    assert parse_shard("2/5") == (2, 5)
    for bad in ("5/5", "-1/3", "a/b", "3"):
        with pytest.raises(pytest.UsageError, match="--shard"):
            parse_shard(bad)
