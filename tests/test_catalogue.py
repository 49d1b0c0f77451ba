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
