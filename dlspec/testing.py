"""Binding a property to pytest: `test_x = bind(properties.family.x)` makes one test per backend-device-dtype.

The plugin (dlspec.pytest_plugin) parametrizes the `impl` argument from the marker this sets.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import faults
from .impls.interface import Unsupported
from .properties.harness import Impl, Property


class DeviationConfirmed(AssertionError):
    """A documented deviation reproduced on its catalogued example: the strict xfail it is expected to be."""


def bind(prop: Property) -> Callable[..., None]:
    """A pytest test running `prop` under Hypothesis on the `impl` the plugin parametrizes."""

    def test(impl: Impl, data: st.DataObject) -> None:
        impl.stats.examples += 1
        case = data.draw(prop.cases(impl.dtype), label="case")
        faults.about_to_run(impl, case)
        try:
            prop.check(impl, case)
        except Unsupported as e:
            pytest.skip(f"{impl.id}: {e}")

    test.__name__ = test.__qualname__ = f"test_{prop.name}"
    test.__doc__ = prop.doc
    bound = given(data=st.data())(test)
    return pytest.mark.dlspec_property(prop)(bound)
