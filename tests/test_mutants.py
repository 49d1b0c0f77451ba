"""The suite's own test: every mutant of the gallery (mutants/) is killed by some property within 100 examples.

A survivor is a weakness of the properties, not of the mutant: strengthen the properties.
"""

from __future__ import annotations

import dataclasses

import pytest

from dlspec.mutants import all_mutants
from dlspec.mutation import kill


@pytest.mark.parametrize("name", sorted(all_mutants()))
def test_mutant_is_killed(name: str, record_property) -> None:
    k = kill(name, max_examples=100)
    record_property("dlspec_mutant", dataclasses.asdict(k))  # the report's kill table
    assert k.killed_by is not None, f"mutant {name!r} ({k.description}) survived every property of its operations"
    print(f"{name}: killed by {k.killed_by} [{k.dtype}] after {k.examples} examples: {k.message}")
