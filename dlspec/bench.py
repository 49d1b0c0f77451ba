"""The benchmark (not a test): examples per second of every property family on every backend, where the time goes,
and how fast the mutant gallery dies.

    dlspec bench [--backends B] [--dtype float32] [--examples 100] [--repeat 3] [--mutants]

For each property the search runs with the CI profile's derandomized settings: once cold (framework compilation
and caches included, what CI pays), then `--repeat` times warm (the steady state; the median is reported). Every
backend call of a warm run is recorded and replayed in a bare loop, timed: overhead = warm property time / bare-loop
time, what Hypothesis, input generation, the spec and the checks cost on top of the framework itself. A third
timing draws the same cases without checking anything ("draw only"): Hypothesis' own per-example cost plus the
suite's input generation, the ceiling of any property whatever the backend.

For JAX backends the run counts compilations (`jax_log_compiles`, the "Compiling …" records): the cold run compiles
once per shape bucket and static argument set, a warm run must compile nothing — a per-example recompile would show
as one compilation per example here.

`--mutants` also runs the mutant gallery (`dlspec mutants`) and prints the median number of examples it took to
kill the mutants of each family.

Properties that fail on a backend (catalogued deviations: the benchmark does not consult the catalogue) stop at
their first failing example (no shrinking) and are flagged; their time up to then is counted.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from importlib import metadata

from . import runner
from .env import pin_threads
from .impls import installed, load
from .impls.interface import Backend
from .properties import all_properties
from .properties.harness import Impl, Property


@dataclass
class Timing:
    backend: str
    family: str
    prop: str
    examples: int
    cold_s: float
    warm_s: float        # median of the warm runs
    bare_s: float
    draw_s: float        # drawing the same number of cases, no check
    outcome: str         # "pass", "fail" or "skip"
    compiles_cold: int | None = None
    compiles_warm: int | None = None


class _CompileCounter(logging.Handler):
    """Counts JAX's "Compiling …" log records (emitted at WARNING while jax_log_compiles is on)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("Compiling"):
            self.count += 1


def _compile_counter(backend: Backend) -> _CompileCounter | None:
    if not backend.name.startswith("jax"):
        return None
    import jax

    jax.config.update("jax_log_compiles", True)
    counter = _CompileCounter()
    log = logging.getLogger("jax")
    log.addHandler(counter)
    log.propagate = False  # counted, not printed
    return counter



def _recording(backend: Backend, calls: list) -> Backend:
    def wrap(op, fn):
        def call(*args, **kwargs):
            calls.append((fn, args, kwargs))
            return fn(*args, **kwargs)

        return call

    return replace(backend, ops={op: wrap(op, fn) for op, fn in backend.ops.items()})


def _run(prop: Property, impl: Impl, examples: int, *, check: bool = True) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    outcome = runner.run(prop, impl, examples, check=check)
    return outcome.examples, time.perf_counter() - t0, outcome.status


def bench_property(prop: Property, backend: Backend, dtype: str, examples: int, repeat: int = 3,
                   counter: _CompileCounter | None = None) -> Timing | None:
    if any(backend.skip_reason(op, "cpu", dtype) for op in prop.ops):
        return None
    if prop.dtypes is not None and dtype not in prop.dtypes:
        return None
    before = counter.count if counter else 0
    _, cold, _ = _run(prop, Impl(backend, "cpu", dtype), examples)
    compiled = counter.count if counter else 0
    warm_runs, calls = [], []
    for _ in range(max(1, repeat)):
        calls = []
        n, warm, outcome = _run(prop, Impl(_recording(backend, calls), "cpu", dtype), examples)
        warm_runs.append(warm)
    compiles_warm = (counter.count - compiled) if counter else None
    t0 = time.perf_counter()
    for fn, args, kwargs in calls:  # the last warm run's calls
        try:
            fn(*args, **kwargs)
        except Exception:  # a call that raised in the property raises here too; its cost still counts
            pass
    bare = time.perf_counter() - t0
    draws = [_run(prop, Impl(backend, "cpu", dtype), n, check=False) for _ in range(max(1, repeat))]
    draw_s = statistics.median(t * n / max(1, c) for c, t, _ in draws)  # scaled to the same number of examples
    return Timing(backend.name, prop.family, prop.name, n, cold, statistics.median(warm_runs), bare, draw_s, outcome,
                  (compiled - before) if counter else None, compiles_warm)


def run(backends: list[str], dtype: str, examples: int, repeat: int = 3) -> list[Timing]:
    timings = []
    for name in backends:
        backend = load(name)
        counter = _compile_counter(backend)
        for prop in all_properties():
            t = bench_property(prop, backend, dtype, examples, repeat, counter)
            if t is not None:
                timings.append(t)
    return timings


def _rate(n: int, s: float) -> str:
    return f"{n / s:,.0f}" if s else "–"


def table(timings: list[Timing]) -> str:
    """Markdown: backend × family, examples/s (warm, cold, draw only), overhead against the bare loop, and for JAX
    the compilations of the cold and the warm runs."""
    groups: dict[tuple[str, str], list[Timing]] = defaultdict(list)
    for t in timings:
        groups[(t.backend, t.family)].append(t)
    lines = ["| backend | family | properties | examples | examples/s warm | examples/s cold | examples/s draw only "
             "| overhead × bare loop | bare loop share | JAX compiles cold / warm |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    per_backend: dict[str, list[float]] = defaultdict(list)
    per_backend_draw: dict[str, list[float]] = defaultdict(list)
    per_backend_bare: dict[str, list[float]] = defaultdict(list)
    for (backend, family), ts in sorted(groups.items()):
        n = sum(t.examples for t in ts)
        warm, cold = sum(t.warm_s for t in ts), sum(t.cold_s for t in ts)
        bare, draw = sum(t.bare_s for t in ts), sum(t.draw_s for t in ts)
        flagged = [t.prop for t in ts if t.outcome != "pass"]
        note = f" ({len(flagged)} fail/xfail)" if flagged else ""
        per_backend[backend].append(n / warm if warm else 0.0)
        per_backend_draw[backend].append(n / draw if draw else 0.0)
        per_backend_bare[backend].append(n / bare if bare else 0.0)
        compiles = "–"
        if ts[0].compiles_cold is not None:
            compiles = f"{sum(t.compiles_cold or 0 for t in ts)} / {sum(t.compiles_warm or 0 for t in ts)}"
        lines.append(f"| {backend} | {family} | {len(ts)}{note} | {n} | {_rate(n, warm)} | {_rate(n, cold)} | "
                     f"{_rate(n, draw)} | {warm / bare if bare else float('inf'):,.1f} | "
                     f"{bare / warm if warm else 0:.0%} | {compiles} |")
    lines += ["", "| backend | examples/s warm, mean over families | draw only (the suite's ceiling) "
                  "| bare loop alone (the framework's ceiling) |", "|---|---|---|---|"]
    lines += [f"| {b} | {statistics.fmean(v):,.0f} | {statistics.fmean(per_backend_draw[b]):,.0f} | "
              f"{statistics.fmean(per_backend_bare[b]):,.0f} |" for b, v in sorted(per_backend.items())]
    return "\n".join(lines)


def mutant_table(max_examples: int = 100) -> str:
    """Median examples-to-kill per mutant family (and overall), from the mutant gallery."""
    from .mutation import kill_table

    kills = kill_table(max_examples=max_examples)
    by_family: dict[str, list] = defaultdict(list)
    for k in kills:
        by_family[k.family].append(k)
    lines = ["| mutant family | mutants | killed | median examples to kill | most |", "|---|---|---|---|---|"]
    for family, ks in [*sorted(by_family.items()), ("all", kills)]:
        ex = [k.examples for k in ks if k.examples is not None]
        lines.append(f"| {family} | {len(ks)} | {len(ex)} | {statistics.median(ex) if ex else '–'} | "
                     f"{max(ex) if ex else '–'} |")
    return "\n".join(lines)


def _versions() -> str:
    out = []
    for dist in ("numpy", "hypothesis", "torch", "jax", "flax", "optax", "tensorflow-cpu", "tensorflow", "keras"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dlspec bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--backends", help="comma-separated backends (default: every installed one except 'spec')")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--examples", type=int, default=100, help="examples per property (default 100, the CI profile)")
    p.add_argument("--repeat", type=int, default=3, help="warm runs per property; the median is reported (default 3)")
    p.add_argument("--mutants", action="store_true", help="also run the mutant gallery: median examples to kill")
    args = p.parse_args(argv)
    pin_threads()
    names = args.backends.split(",") if args.backends else [n for n in installed() if n != "spec"]
    t0 = time.perf_counter()
    timings = run(names, args.dtype, args.examples, args.repeat)
    print(f"dlspec bench, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: {args.dtype}, "
          f"{args.examples} examples a property, median of {args.repeat} warm runs, one process, one thread; "
          f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {_versions()}; "
          f"{time.perf_counter() - t0:.0f} s\n")
    print(table(timings))
    if args.mutants:
        print()
        print(mutant_table(args.examples))
    return 0
