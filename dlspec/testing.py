"""Binding a property to pytest: `test_x = bind(properties.family.x)` makes one test per backend-device-dtype.

The plugin (dlspec.pytest_plugin) parametrizes the `impl` argument from the marker this sets, with the catalogue
entries that cover the item (`impl.deviations`). Each drawn case is routed by `check_case`: outside every entry's
region the spec must hold; inside a region with a documented behaviour that behaviour must hold; inside a region
without one the case is counted and discarded (Hypothesis draws another in its place).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from . import faults
from .impls.interface import Unsupported
from .properties.harness import Case, Impl, Property


def check_behaviour(entry, prop: Property, impl: Impl, case: Case) -> None:
    """Inside `entry`'s region: the framework must do what the entry documents (its `behaves` check, or raising
    its `raises` class with its `match`)."""
    behaves = entry.behaves_fn()
    if behaves is not None:
        behaves(prop, impl, case)
        return
    try:
        prop.check(impl, case)
    except Unsupported:
        raise
    except Exception as e:
        if entry.is_documented_failure(e):
            return
        raise AssertionError(f"inside the region of deviation {entry.id} ({entry.region_text()}) the framework "
                             f"was documented to raise {entry.raises}, but: {type(e).__name__}: {e}") from e
    raise AssertionError(f"inside the region of deviation {entry.id} ({entry.region_text()}) the framework was "
                         f"documented to raise {entry.raises}, but the property held: the deviation changed")


def check_case(prop: Property, impl: Impl, case: Case) -> None:
    """Check one drawn case, routed by the catalogue entries covering the item (see the module docstring)."""
    stats = impl.stats
    stats.examples += 1
    stats.last_case = case
    entry = next((d for d in impl.deviations if d.in_region(case, impl.dtype)), None)
    if entry is None:
        prop.check(impl, case)
        stats.spec += 1
    elif entry.has_behaviour:
        check_behaviour(entry, prop, impl, case)
        stats.behaviour[entry.id] = stats.behaviour.get(entry.id, 0) + 1
    else:
        stats.region[entry.id] = stats.region.get(entry.id, 0) + 1
        reject()  # counted, not checked, and not spent from the budget: Hypothesis draws another case


def replay_examples(prop: Property, impl: Impl) -> bool:
    """Replay every catalogued example that matches the item; each must still fail as documented.

    Returns whether the Hypothesis search should run: not where an entry covers the whole input space and
    documents no behaviour to check there (its `region_doc` says why).
    """
    search = True
    for entry in impl.deviations:
        for example in entry.examples_for(impl.backend.name, prop.name, impl.dtype):
            case = Case.from_example(example.case)
            faults.about_to_run(impl, case)  # example 0: a catalogued one, replayed before the search
            try:
                prop.check(impl, case)
            except Unsupported:
                raise
            except Exception as e:
                if not entry.is_documented_failure(e, example.match):
                    pattern = example.match or entry.match
                    detail = f" (expected /{pattern}/)" if pattern else ""
                    raise AssertionError(f"deviation {entry.id}: its example failed, but not as documented{detail}: "
                                         f"{type(e).__name__}: {e}") from e
            else:
                raise AssertionError(
                    f"deviation {entry.id} ({entry.source}) no longer reproduces on {impl.id}: its example "
                    f"{case!r} now satisfies the spec. The framework changed: update or remove the entry.")
        impl.stats.confirmed.append(entry.id)
        if entry.everywhere and not entry.has_behaviour:
            search = False
    return search


def bind(prop: Property) -> Callable[..., None]:
    """A pytest test running `prop` under Hypothesis on the `impl` the plugin parametrizes."""

    def test(impl: Impl, data: st.DataObject) -> None:
        case = data.draw(prop.cases(impl.dtype), label="case")
        faults.about_to_run(impl, case)
        try:
            check_case(prop, impl, case)
        except Unsupported as e:
            pytest.skip(f"{impl.id}: {e}")

    test.__name__ = test.__qualname__ = f"test_{prop.name}"
    test.__doc__ = prop.doc
    bound = given(data=st.data())(test)
    return pytest.mark.dlspec_property(prop)(bound)
