"""Running the mutant gallery: which property kills each single-bug variant of the NumPy backend, and after how
many examples. Used by tests/test_mutants.py (every mutant must die) and `dlspec mutants` (the kill table).

A mutant is run against every property that calls one of the operations it replaces, dtype by dtype (float64,
float32, float16: some bugs only show in low precision), with the CI profile's derandomized search and no
shrinking (a kill only needs one failing example; the audit itself shrinks). The first property that fails
kills it; `examples` counts the examples that property ran up to and including the failing one.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import runner
from .impls import load
from .mutants import all_mutants
from .properties import all_properties
from .properties.harness import Impl

DTYPES = ("float64", "float32", "float16")


@dataclass(frozen=True)
class Kill:
    mutant: str
    family: str
    description: str
    killed_by: str | None     # property name, or None if it survived
    dtype: str | None
    examples: int | None      # examples the killing property ran, the failing one included
    message: str | None       # first line of the failure


def kill(name: str, *, max_examples: int = 100) -> Kill:
    """Run mutant `name` against the properties that use its operations until one fails."""
    m = all_mutants()[name]
    backend = load(f"mutant:{name}")
    props = [p for p in all_properties() if set(p.ops) & set(m.ops)]
    for dtype in DTYPES:
        for prop in props:
            if (prop.dtypes is not None and dtype not in prop.dtypes) or dtype not in backend.dtypes:
                continue
            outcome = runner.run(prop, Impl(backend, "cpu", dtype), max_examples)
            if outcome.status == "fail":
                return Kill(name, m.family, m.description, prop.name, dtype, outcome.examples, outcome.message)
    return Kill(name, m.family, m.description, None, None, None, None)


def kill_table(*, max_examples: int = 100) -> list[Kill]:
    return [kill(name, max_examples=max_examples) for name in sorted(all_mutants())]


def format_table(kills: list[Kill]) -> str:
    """The kill table as Markdown."""
    lines = ["| mutant | family | killed by | dtype | examples |", "|---|---|---|---|---|"]
    for k in kills:
        by = f"`{k.killed_by}`" if k.killed_by else "**SURVIVED**"
        lines.append(f"| `{k.mutant}` | {k.family} | {by} | {k.dtype or '–'} | {k.examples or '–'} |")
    return "\n".join(lines)
