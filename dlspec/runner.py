"""One pytest-free runner: a property's Hypothesis search on one implementation, returning what happened as objects.

Used by the mutant gallery (dlspec/mutation.py) and the benchmark (dlspec/bench.py); the pytest binding
(dlspec/testing.py) runs the same per-case routine, `check_case`, under pytest's own Hypothesis integration.
The search is the CI profile's: derandomized, no database, no deadline. `shrink=False` stops at the first failing
example (a kill or a timing needs no minimal one).
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .impls.interface import Unsupported
from .properties.harness import Case, Impl, Property
from .testing import check_case

NO_SHRINK = (Phase.explicit, Phase.generate)


@dataclass(frozen=True)
class Outcome:
    status: str                   # "pass", "fail" or "skip" (the backend does not support what the property needs)
    examples: int                 # examples run, the failing one included
    case: Case | None = None      # the failing case (the minimal one when shrinking)
    error: BaseException | None = None

    @property
    def message(self) -> str | None:
        """The failure's first line, as the kill table and the benchmark print it."""
        if self.error is None:
            return None
        text = str(self.error)
        return f"{type(self.error).__name__}: {text.splitlines()[0] if text else ''}"[:300]


def run(prop: Property, impl: Impl, max_examples: int, *, shrink: bool = False, check: bool = True) -> Outcome:
    """Search `max_examples` cases of `prop` on `impl`; with check=False only draw them (the generation's cost)."""
    count = 0
    strategy = prop.cases(impl.dtype)

    @settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
              phases=tuple(Phase) if shrink else NO_SHRINK, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(data=st.data())
    def search(data: st.DataObject) -> None:
        nonlocal count
        count += 1
        case = data.draw(strategy)
        if check:
            check_case(prop, impl, case)

    try:
        search()
    except Unsupported as e:
        return Outcome("skip", count, error=e)
    except Exception as e:  # an assertion, or the implementation crashing (NaN checks, shape errors)
        return Outcome("fail", count, impl.stats.last_case, e)
    return Outcome("pass", count)
