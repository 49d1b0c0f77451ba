"""Each property's test items: one per backend × device × dtype, with the catalogue entries that cover it; the
`impl` fixture; and the replay of those entries' examples before the search (dlspec/deviations)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis.errors import Unsatisfiable

from .. import deviations as catalogue
from ..dtypes import FLOAT_DTYPES
from ..impls import Unsupported
from ..impls.interface import Backend
from ..properties.harness import Impl, Property
from ..testing import replay_examples
from .options import BACKENDS, DEVIATIONS, MATCHED
from .selection import csv

COLLECTED = pytest.StashKey[set[tuple[str, str]]]()  # (property, backend) pairs with a runnable item


@dataclass(frozen=True)
class ImplParam:
    backend: Backend
    device: str
    dtype: str
    deviations: tuple[catalogue.Deviation, ...] = field(default=(), compare=False)

    def __repr__(self) -> str:
        return f"{self.backend.name}-{self.device}-{self.dtype}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("dlspec_property")
    if marker is None or "impl" not in metafunc.fixturenames:
        return
    prop: Property = marker.args[0]
    config = metafunc.config
    collected = config.stash.setdefault(COLLECTED, set())
    want_devices = csv(config.getoption("devices"))
    want_dtypes = csv(config.getoption("dtypes")) or list(FLOAT_DTYPES)
    params = []
    for backend in config.stash[BACKENDS]:
        devices = [d for d in backend.devices if not want_devices or d in want_devices]
        dtypes = [d for d in want_dtypes if prop.dtypes is None or d in prop.dtypes]
        for device in devices:
            for dtype in dtypes:
                marks = []
                entries: tuple[catalogue.Deviation, ...] = ()
                reasons = [r for op in prop.ops if (r := backend.skip_reason(op, device, dtype))]
                if reasons:
                    marks.append(pytest.mark.skip(reason=reasons[0]))
                else:
                    collected.add((prop.name, backend.name))
                    entries = tuple(d for d in config.stash[DEVIATIONS]
                                    if d.applies(backend.name, prop.name, device, dtype))
                    config.stash[MATCHED].update(d.id for d in entries)
                p = ImplParam(backend, device, dtype, entries)
                params.append(pytest.param(p, id=repr(p), marks=marks))
    if not params:
        params.append(pytest.param(None, id="no-backend",
                                   marks=pytest.mark.skip(reason="no selected backend runs this property")))
    metafunc.parametrize("impl", params, indirect=True)


@pytest.fixture
def impl(request: pytest.FixtureRequest) -> Impl:
    p: ImplParam = request.param
    return Impl(p.backend, p.device, p.dtype, p.deviations)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """An item all of whose drawn cases fell inside catalogued regions without a behaviour (Hypothesis gives up:
    Unsatisfiable) has nothing left to check against the spec: it passes as those entries' deviation, and the
    report shows 0 cases checked against the spec and how many were counted in each region."""
    outcome = yield
    impl = item.funcargs.get("impl") if hasattr(item, "funcargs") else None
    if outcome.excinfo is None or not isinstance(impl, Impl) or not isinstance(outcome.excinfo[1], Unsatisfiable):
        return
    stats = impl.stats
    if stats.region and not stats.spec and not stats.behaviour:
        stats.confirmed.extend(i for i in stats.region if i not in stats.confirmed)
        outcome.force_result(None)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> object | None:
    """Replay the catalogued examples of the entries covering the item first (see dlspec/deviations), then let
    the search run, unless an entry covers the whole input space with nothing to check there."""
    impl = pyfuncitem.funcargs.get("impl") if hasattr(pyfuncitem, "funcargs") else None
    if not isinstance(impl, Impl) or not impl.deviations:
        return None
    prop: Property = pyfuncitem.get_closest_marker("dlspec_property").args[0]
    try:
        search = replay_examples(prop, impl)
    except Unsupported as e:
        pytest.skip(f"{impl.id}: {e}")
    return None if search else True
