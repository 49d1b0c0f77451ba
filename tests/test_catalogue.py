"""The deviation catalogue: every shipped entry is well formed and names a property and backend that exist."""

from __future__ import annotations

import pytest

from dlspec import deviations
from dlspec.impls import BUILTIN
from dlspec.properties import all_properties
from dlspec.properties.harness import Case

ENTRY = '''
[[deviation]]
id = "x-1"
backend = "torch:*"
property = "softmax_matches_spec"
observed = "2.0"
api = "torch.softmax"
spec = "s"
behaviour = "b"
reason = "r"
example = { x = [[1.0, 2.0]], axis = -1 }
'''


def test_an_entry_parses_and_matches_by_glob():
    [d] = deviations.parse(ENTRY, "t.toml")
    assert d.applies("torch:functional", "softmax_matches_spec", "cpu", "float16")
    assert not d.applies("jax:lax", "softmax_matches_spec", "cpu", "float16")
    assert Case.from_example(d.example).x.shape == (1, 2)


def test_an_entry_missing_its_example_is_rejected():
    with pytest.raises(deviations.CatalogueError, match="lacks example"):
        deviations.parse(ENTRY.replace('example = { x = [[1.0, 2.0]], axis = -1 }', ""), "t.toml")


def test_shipped_entries_name_existing_properties_and_backends():
    props = {p.name for p in all_properties()}
    frameworks = {name.split(":")[0] for name in BUILTIN}
    for d in deviations.load():
        assert d.property in props, f"{d.source}: {d.id} names no property {d.property!r}"
        assert d.backend.split(":")[0] in frameworks, f"{d.source}: {d.id} names no backend {d.backend!r}"


CAUSE = '''
[[deviation]]
id = "c-1"
backend = ["torch:functional", "torch:nn"]
property = ["softmax_matches_spec", "log_softmax_matches_spec"]
dtypes = ["float32"]
observed = "2.0"
api = "torch.softmax"
spec = "s"
behaviour = "b"
reason = "r"
region = "everywhere"
region_doc = "d"

[[deviation.examples]]
property = "softmax_matches_spec"
case = { x = [[1.0, 2.0]], axis = -1 }

[[deviation.examples]]
property = "log_softmax_matches_spec"
backend = "torch:nn"
dtypes = ["float64"]
case = { x = [[3.0]], axis = -1 }
'''


def test_an_entry_of_one_cause_replays_each_example_on_its_own_scope():
    ds = deviations.parse(CAUSE, "t.toml")
    assert [(d.backend, d.property, d.dtypes) for d in ds] == [
        ("torch:functional", "softmax_matches_spec", ("float32",)),
        ("torch:nn", "softmax_matches_spec", ("float32",)),
        ("torch:nn", "log_softmax_matches_spec", ("float64",)),
    ]
    assert all(d.extra["region"] == "everywhere" and d.extra["cause"] == "c-1" for d in ds)
    assert Case.from_example(ds[2].example).x.shape == (1, 1)


def test_an_example_outside_its_entrys_properties_is_rejected():
    with pytest.raises(deviations.CatalogueError, match="not one of the entry's"):
        deviations.parse(CAUSE.replace('property = "log_softmax_matches_spec"', 'property = "x"'), "t.toml")


def test_shipped_entries_are_one_per_cause_with_a_region():
    from importlib import resources

    from dlspec.deviations import regions

    for f in resources.files(deviations).iterdir():
        if not f.name.endswith(".toml"):
            continue
        for entry in deviations.tomllib.loads(f.read_text(encoding="utf-8"))["deviation"]:
            assert entry.get("examples"), f"{f.name}: {entry['id']} has no examples"
            assert callable(getattr(regions, entry["region"], None)), f"{entry['id']}: no region {entry['region']!r}"
            assert entry["region_doc"].strip(), f"{entry['id']}: empty region_doc"
