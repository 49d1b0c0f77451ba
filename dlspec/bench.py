"""The benchmark (not a test): examples per second of every property family on every backend, and the suite's
overhead against calling the same backend operations on the same inputs in a bare loop.

    dlspec bench [--backends B] [--dtype float32] [--examples 100] [--markdown]

For each property the search runs twice with the CI profile's derandomized settings: a cold run (framework
compilation and caches included, what CI pays) and a warm run (the steady state). Every backend call of the warm
run is recorded; the bare loop replays those calls directly, timed. overhead = warm property time / bare-loop
time: what Hypothesis, input generation, the spec and the checks cost on top of the framework itself.
Properties that fail or xfail on a backend are still timed (up to the failure) and flagged.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, replace

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .env import pin_threads
from .impls import installed, load
from .impls.interface import Backend, Unsupported
from .properties import all_properties
from .properties.harness import Impl, Property


@dataclass
class Timing:
    backend: str
    family: str
    prop: str
    examples: int
    cold_s: float
    warm_s: float
    bare_s: float
    outcome: str  # "pass", "fail" or "skip"


def _recording(backend: Backend, calls: list) -> Backend:
    def wrap(op, fn):
        def call(*args, **kwargs):
            calls.append((fn, args, kwargs))
            return fn(*args, **kwargs)

        return call

    return replace(backend, ops={op: wrap(op, fn) for op, fn in backend.ops.items()})


def _run(prop: Property, impl: Impl, examples: int) -> tuple[int, float, str]:
    count = 0

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        nonlocal count
        count += 1
        prop.check(impl, data.draw(prop.cases(impl.dtype)))

    t0 = time.perf_counter()
    try:
        run()
        outcome = "pass"
    except Unsupported:
        outcome = "skip"
    except Exception:
        outcome = "fail"
    return count, time.perf_counter() - t0, outcome


def bench_property(prop: Property, backend: Backend, dtype: str, examples: int) -> Timing | None:
    if any(backend.skip_reason(op, "cpu", dtype) for op in prop.ops):
        return None
    if prop.dtypes is not None and dtype not in prop.dtypes:
        return None
    _, cold, _ = _run(prop, Impl(backend, "cpu", dtype), examples)
    calls: list = []
    n, warm, outcome = _run(prop, Impl(_recording(backend, calls), "cpu", dtype), examples)
    t0 = time.perf_counter()
    for fn, args, kwargs in calls:
        try:
            fn(*args, **kwargs)
        except Exception:  # a call that raised in the property raises here too; its cost still counts
            pass
    bare = time.perf_counter() - t0
    return Timing(backend.name, prop.family, prop.name, n, cold, warm, bare, outcome)


def run(backends: list[str], dtype: str, examples: int) -> list[Timing]:
    timings = []
    for name in backends:
        backend = load(name)
        for prop in all_properties():
            t = bench_property(prop, backend, dtype, examples)
            if t is not None:
                timings.append(t)
    return timings


def table(timings: list[Timing]) -> str:
    """Markdown: backend × family, examples/s (warm, cold) and overhead against the bare loop."""
    groups: dict[tuple[str, str], list[Timing]] = defaultdict(list)
    for t in timings:
        groups[(t.backend, t.family)].append(t)
    lines = ["| backend | family | properties | examples | examples/s warm | examples/s cold | overhead × bare loop |",
             "|---|---|---|---|---|---|---|"]
    per_backend: dict[str, list[float]] = defaultdict(list)
    for (backend, family), ts in sorted(groups.items()):
        n = sum(t.examples for t in ts)
        warm = sum(t.warm_s for t in ts)
        cold = sum(t.cold_s for t in ts)
        bare = sum(t.bare_s for t in ts)
        flagged = [t.prop for t in ts if t.outcome != "pass"]
        note = f" ({len(flagged)} fail/xfail)" if flagged else ""
        per_backend[backend].append(n / warm if warm else 0.0)
        lines.append(f"| {backend} | {family} | {len(ts)}{note} | {n} | {n / warm:,.0f} | {n / cold:,.0f} | "
                     f"{warm / bare if bare else float('inf'):,.1f} |")
    lines += ["", "| backend | mean examples/s over families (warm) |", "|---|---|"]
    lines += [f"| {b} | {statistics.fmean(v):,.0f} |" for b, v in sorted(per_backend.items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dlspec bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--backends", help="comma-separated backends (default: every installed one except 'spec')")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--examples", type=int, default=100, help="examples per property (default 100, the CI profile)")
    args = p.parse_args(argv)
    pin_threads()
    names = args.backends.split(",") if args.backends else [n for n in installed() if n != "spec"]
    t0 = time.perf_counter()
    timings = run(names, args.dtype, args.examples)
    print(f"dlspec bench: {args.dtype}, {args.examples} examples a property, one process, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}; "
          f"{time.perf_counter() - t0:.0f} s in all\n")
    print(table(timings))
    return 0
