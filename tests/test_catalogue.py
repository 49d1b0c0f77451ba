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
    assert Case.from_example(d.examples[0].case).x.shape == (1, 2)
    assert d.everywhere  # no region given: the whole input space of the items it covers


def test_an_entry_missing_its_example_is_rejected():
    with pytest.raises(deviations.CatalogueError, match="lacks example"):
        deviations.parse(ENTRY.replace('example = { x = [[1.0, 2.0]], axis = -1 }', ""), "t.toml")


def test_shipped_entries_name_existing_properties_and_backends():
    props = {p.name for p in all_properties()}
    frameworks = {name.split(":")[0] for name in BUILTIN}
    for d in deviations.load():
        for p in d.properties:
            assert p in props, f"{d.source}: {d.id} names no property {p!r}"
        for b in d.backends:
            assert b.split(":")[0] in frameworks, f"{d.source}: {d.id} names no backend {b!r}"


CAUSE = '''
[[deviation]]
id = "c-1"
backend = ["torch:functional", "torch:nn"]
property = ["softmax_matches_spec", "log_softmax_matches_spec"]
dtypes = ["float32", "float64"]
observed = "2.0"
api = "torch.softmax"
spec = "s"
behaviour = "b"
reason = "r"
region = "labels_do_not_sum_to_one"
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


def test_an_entry_of_one_cause_replays_each_example_on_its_own_items():
    [d] = deviations.parse(CAUSE, "t.toml")
    assert d.applies("torch:nn", "log_softmax_matches_spec", "cpu", "float32")
    assert not d.applies("torch:nn", "log_softmax_matches_spec", "cpu", "float16")
    assert len(d.examples_for("torch:functional", "softmax_matches_spec", "float32")) == 1
    assert d.examples_for("torch:functional", "log_softmax_matches_spec", "float64") == []
    assert len(d.examples_for("torch:nn", "log_softmax_matches_spec", "float64")) == 1
    assert not d.everywhere and d.region_text() == "d"


def test_an_example_outside_its_entrys_properties_is_rejected():
    with pytest.raises(deviations.CatalogueError, match="which the entry lacks"):
        deviations.parse(CAUSE.replace('property = "log_softmax_matches_spec"', 'property = "x"'), "t.toml")


def test_shipped_entries_are_one_per_cause_each_with_a_region_and_examples():
    from dlspec.deviations import regions

    for d in deviations.load():
        assert d.examples, f"{d.id} has no minimal example"
        assert not d.everywhere or d.region_doc, f"{d.id}: 'everywhere' needs a region_doc saying why"
        if not d.everywhere:
            assert callable(getattr(regions, d.region, None)), f"{d.id}: no region {d.region!r} in regions.py"
            assert d.region_text().strip(), f"{d.id}: the region has no text"
        for ex in d.examples:
            assert ex.property in d.properties or (ex.property is None and len(d.properties) == 1), (
                f"{d.id}: an example names no property of the entry")
