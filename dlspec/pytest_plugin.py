"""The pytest plugin: options, Hypothesis profiles, backend × device × dtype parametrization, documented
deviations as strict xfails, replay commands on failure, and per-item statistics for the report.

Loaded by the repository's conftest.py, and by `dlspec audit` with `-p dlspec.pytest_plugin`.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import zlib
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings

from . import deviations as catalogue
from . import faults
from .dtypes import FLOAT_DTYPES
from .env import pin_threads
from .impls import BackendError, Unsupported, entry_point_names, installed, load, load_module, not_installed
from .impls.interface import Backend
from .properties.harness import Case, Impl, Property
from .testing import DeviationConfirmed

# Set before any framework is imported (adapters are imported lazily, at configure time).
pin_threads()

_SUPPRESS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("dev", max_examples=25, deadline=None, print_blob=True, suppress_health_check=_SUPPRESS)
settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True, derandomize=True, database=None,
                          suppress_health_check=_SUPPRESS)
settings.register_profile("thorough", max_examples=1000, deadline=None, print_blob=True,
                          suppress_health_check=_SUPPRESS)
PROFILES = ("dev", "ci", "thorough")

BACKENDS = pytest.StashKey[list[Backend]]()
DEVIATIONS = pytest.StashKey[list[catalogue.Deviation]]()
MATCHED = pytest.StashKey[set[str]]()
PROFILE = pytest.StashKey[str]()
DEVIATION = pytest.StashKey[catalogue.Deviation]()
REPORT_PATHS = pytest.StashKey[list]()
COLLECTED = pytest.StashKey[set[tuple[str, str]]]()  # (property, backend) pairs with a runnable item
_CONFIG: list[pytest.Config] = []          # the session's config, for hooks that do not receive it
_RESULTS: dict[int, dict[str, dict]] = {}  # id(config) -> nodeid -> report row
_MUTANTS: dict[int, dict[str, dict]] = {}  # id(config) -> mutant -> kill (tests/test_mutants.py)


@dataclass(frozen=True)
class ImplParam:
    backend: Backend
    device: str
    dtype: str

    def __repr__(self) -> str:
        return f"{self.backend.name}-{self.device}-{self.dtype}"


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("dlspec", "dlspec: which implementations to audit")
    g.addoption("--backends", default=os.environ.get("DLSPEC_BACKENDS"),
                help="comma-separated backends or prefixes: 'numpy,torch' ('torch' selects torch:*). "
                     "Default: every installed built-in and entry-point backend. Env: DLSPEC_BACKENDS.")
    g.addoption("--backend-module", action="append", default=[],
                help="audit an out-of-tree backend module (repeatable), e.g. their_pkg.dlspec_backend. "
                     "Env: DLSPEC_BACKEND_MODULE (comma-separated).")
    g.addoption("--devices", default=os.environ.get("DLSPEC_DEVICES"),
                help="comma-separated devices, e.g. 'cpu' or 'cuda'. Default: every device a backend knows; "
                     "absent ones are skipped with the reason. Env: DLSPEC_DEVICES.")
    g.addoption("--dtypes", default=os.environ.get("DLSPEC_DTYPES"),
                help=f"comma-separated dtypes from {', '.join(FLOAT_DTYPES)}. Default: all. Env: DLSPEC_DTYPES.")
    g.addoption("--deviations", default=None,
                help="an extra deviation catalogue (TOML) for an out-of-tree backend.")
    g.addoption("--report", default=None, metavar="DIR",
                help="write the conformance report (report.json, report.md, report.html) to DIR")
    g.addoption("--report-label", default=None,
                help="label of this run's columns when reports are merged (default: the machine's name)")
    g.addoption("--shard", default=None, metavar="K/N",
                help="run only shard K of N (0 <= K < N): the test items whose node id hashes (CRC-32) to K mod N; "
                     "N runs with K = 0..N-1 cover every item once (to spread a long audit over machines or runs)")


def _select_backends(config: pytest.Config) -> list[Backend]:
    modules = list(config.getoption("backend_module")) + _csv(os.environ.get("DLSPEC_BACKEND_MODULE"))
    requested = _csv(config.getoption("backends"))
    available = installed() + entry_point_names()
    if requested == ["all"] or (not requested and not modules):
        names = available
    else:
        names = []
        for r in requested:
            pool = available
            if r.startswith("mutant:"):  # the gallery's single-bug variants of the NumPy backend
                from .mutants import all_mutants

                pool = [f"mutant:{m}" for m in all_mutants()]
            hits = [n for n in pool if n == r or n.startswith(r + ":") or fnmatch.fnmatchcase(n, r)]
            if not hits:
                lacking = {n: m for n, m in not_installed().items() if n == r or n.startswith(r + ":")}
                why = (f"it needs {', '.join(sorted({p for m in lacking.values() for p in m}))}, not installed here"
                       if lacking else f"known backends: {', '.join(available)}")
                raise pytest.UsageError(f"--backends {r!r} matches no backend: {why}")
            names += [h for h in hits if h not in names]
    try:
        backends = [load(n) for n in names] + [load_module(m) for m in modules]
    except BackendError as e:
        raise pytest.UsageError(str(e)) from None
    return backends


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "dlspec_property(prop): a dlspec property, parametrized over implementations")
    config.addinivalue_line("markers", "dlspec_deviation(entry): the catalogue entry that makes this item xfail")
    profile = config.getoption("hypothesis_profile", None) or ("ci" if os.environ.get("CI") else "dev")
    if profile in PROFILES:
        settings.load_profile(profile)
    config.stash[PROFILE] = profile
    config.stash[BACKENDS] = _select_backends(config)
    extra = (config.getoption("deviations"),) if config.getoption("deviations") else ()
    try:
        config.stash[DEVIATIONS] = catalogue.load(extra)
    except catalogue.CatalogueError as e:
        raise pytest.UsageError(str(e)) from None
    config.stash[MATCHED] = set()
    _CONFIG[:] = [config]
    _RESULTS[id(config)] = {}


def _shard(value: str) -> tuple[int, int]:
    try:
        k, n = (int(v) for v in value.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--shard {value!r}: expected K/N, e.g. 0/4") from None
    if not 0 <= k < n:
        raise pytest.UsageError(f"--shard {value!r}: K must satisfy 0 <= K < N")
    return k, n


def in_shard(nodeid: str, k: int, n: int) -> bool:
    """Whether test item `nodeid` belongs to shard k of n: stable across runs, machines and Python versions."""
    return zlib.crc32(nodeid.encode()) % n == k


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("shard"):
        return
    k, n = _shard(config.getoption("shard"))
    keep, drop = [], []
    for item in items:
        (keep if in_shard(item.nodeid, k, n) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"dlspec: Hypothesis profile {config.stash[PROFILE]!r} "
             f"({settings.default.max_examples} examples a property)"]
    for b in config.stash[BACKENDS]:
        env = b.environment()
        extra = f"; {', '.join(f'{k}={v}' for k, v in env.items())}" if env else ""
        lines.append(f"dlspec backend {b.name} {b.version}: devices {', '.join(b.devices)}; "
                     f"dtypes {', '.join(b.dtypes)}{extra}")
    for name, missing in not_installed().items():
        lines.append(f"dlspec backend {name}: not installed (needs {', '.join(missing)})")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("dlspec_property")
    if marker is None or "impl" not in metafunc.fixturenames:
        return
    prop: Property = marker.args[0]
    config = metafunc.config
    collected = config.stash.setdefault(COLLECTED, set())
    want_devices = _csv(config.getoption("devices"))
    want_dtypes = _csv(config.getoption("dtypes")) or list(FLOAT_DTYPES)
    params = []
    for backend in config.stash[BACKENDS]:
        devices = [d for d in backend.devices if not want_devices or d in want_devices]
        dtypes = [d for d in want_dtypes if prop.dtypes is None or d in prop.dtypes]
        for device in devices:
            for dtype in dtypes:
                marks = []
                reasons = [r for op in prop.ops if (r := backend.skip_reason(op, device, dtype))]
                if reasons:
                    marks.append(pytest.mark.skip(reason=reasons[0]))
                else:
                    collected.add((prop.name, backend.name))
                    for dev in config.stash[DEVIATIONS]:
                        if dev.applies(backend.name, prop.name, device, dtype):
                            config.stash[MATCHED].add(dev.id)
                            marks.append(pytest.mark.xfail(
                                strict=True, raises=DeviationConfirmed,
                                reason=f"documented deviation {dev.id}: {dev.reason} "
                                       f"({dev.api}, observed with {backend.framework} {dev.observed})"))
                            marks.append(pytest.mark.dlspec_deviation(dev))
                            break
                p = ImplParam(backend, device, dtype)
                params.append(pytest.param(p, id=repr(p), marks=marks))
    if not params:
        params.append(pytest.param(None, id="no-backend",
                                   marks=pytest.mark.skip(reason="no selected backend runs this property")))
    metafunc.parametrize("impl", params, indirect=True)


@pytest.fixture
def impl(request: pytest.FixtureRequest) -> Impl:
    p: ImplParam = request.param
    return Impl(p.backend, p.device, p.dtype)


def _deviation_of(item: pytest.Item) -> catalogue.Deviation | None:
    m = item.get_closest_marker("dlspec_deviation")
    return m.args[0] if m else None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> object | None:
    """For a documented deviation, replay its catalogued example first (see dlspec/deviations)."""
    dev = _deviation_of(pyfuncitem)
    if dev is None:
        return None
    prop: Property = pyfuncitem.get_closest_marker("dlspec_property").args[0]
    impl: Impl = pyfuncitem.funcargs["impl"]
    case = Case.from_example(dev.example)
    try:
        prop.check(impl, case)
    except Unsupported as e:
        pytest.skip(f"{impl.id}: {e}")
    except Exception as e:
        documented_error = dev.raises and any(c.__name__ == dev.raises for c in type(e).__mro__)
        if not isinstance(e, AssertionError) and not documented_error:
            raise
        message = f"{type(e).__name__}: {e}"
        if dev.match and not re.search(dev.match, message):
            raise AssertionError(
                f"deviation {dev.id}: the example failed, but not as documented (expected /{dev.match}/): {message}"
            ) from e
        raise DeviationConfirmed(f"{dev.id} reproduced on {case!r}: {message}") from e
    return None  # the example passed: run the full search (see the module docstring of dlspec.deviations)


def replay_command(item: pytest.Item) -> str:
    config = item.config
    args = ["python", "-m", "pytest", item.nodeid, f"--hypothesis-profile={config.stash[PROFILE]}"]
    callspec = getattr(item, "callspec", None)
    param = callspec.params.get("impl") if callspec else None
    modules = config.getoption("backend_module")
    if isinstance(param, ImplParam) and param.backend.origin not in modules:
        args.append(f"--backends={param.backend.name}")  # the item's id exists only when its backend is selected
    seed = config.getoption("hypothesis_seed", None)
    if seed is not None:
        args.append(f"--hypothesis-seed={seed}")
    for m in config.getoption("backend_module"):
        args.append(f"--backend-module={m}")
    if config.getoption("deviations"):
        args.append(f"--deviations={config.getoption('deviations')}")
    return shlex.join(args)


def _item_record(item: pytest.Item) -> dict | None:
    """What the report needs to know of a property's test item, attached to its reports (xdist-safe)."""
    marker = item.get_closest_marker("dlspec_property")
    callspec = getattr(item, "callspec", None)
    param = callspec.params.get("impl") if callspec else None
    if marker is None or not isinstance(param, ImplParam):
        return None
    prop: Property = marker.args[0]
    dev = _deviation_of(item)
    return {
        "property": prop.name, "family": prop.family, "doc": prop.doc,
        "backend": param.backend.name, "framework": param.backend.framework, "version": param.backend.version,
        "device": param.device, "dtype": param.dtype,
        "deviation": None if dev is None else {k: getattr(dev, k) for k in (
            "id", "backend", "property", "observed", "api", "spec", "behaviour", "reason", "example")},
        "replay": replay_command(item),
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    record = _item_record(item)
    if record is not None:
        impl = item.funcargs.get("impl") if hasattr(item, "funcargs") else None
        if report.when == "call" and isinstance(impl, Impl):
            record.update(examples=impl.stats.examples, errors_eps=impl.stats.err_eps, used=impl.stats.used)
        report.user_properties.append(("dlspec", record))
    if report.when == "call" and report.failed and "impl" in getattr(item, "fixturenames", ()):
        report.sections.append(("dlspec replay", f"Replay this failure with:\n  {replay_command(item)}\n"
                                "(the case above is the minimal counterexample; the @reproduce_failure line, "
                                "if printed, replays it exactly)"))


_DRAW = re.compile(r"Draw \d+ \(case\): (Case\(.*\))")
_REPRODUCE = re.compile(r"(@reproduce_failure\([^)]*\))")


def _outcome(report: pytest.TestReport) -> str | None:
    if report.when == "setup":
        return "skip" if report.skipped else ("fail" if report.failed else None)
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return "deviation" if report.skipped else "fail"  # a strict XPASS is reported failed
        return "pass" if report.passed else ("skip" if report.skipped else "fail")
    return "fail" if report.failed else None  # teardown


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    records = [v for k, v in report.user_properties if k == "dlspec"]
    results = _RESULTS.get(id(_CONFIG[0])) if _CONFIG else None
    if report.when == "call" and results is not None:
        for k, v in report.user_properties:
            if k == "dlspec_mutant":
                _MUTANTS.setdefault(id(_CONFIG[0]), {})[v["mutant"]] = v
    outcome = _outcome(report)
    if not records or results is None or outcome is None:
        return
    rec = dict(records[-1])
    text = report.longreprtext or ""
    reason = None
    if outcome == "skip" and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
    elif outcome == "deviation":
        reason = report.wasxfail
    elif outcome == "fail":
        crash = getattr(report.longrepr, "reprcrash", None)
        reason = crash.message.splitlines()[0] if crash is not None and crash.message else text.splitlines()[-1:]
        reason = reason if isinstance(reason, str) else " ".join(reason)
    draws = _DRAW.findall(text)
    counterexample = "; ".join(draws) if draws else None
    if outcome == "deviation" and rec.get("deviation"):
        counterexample = repr(Case.from_example(rec["deviation"]["example"]))
    reproduce = _REPRODUCE.search(text)
    errors = rec.pop("errors_eps", None) or {}
    used = rec.pop("used", None) or {}
    results[report.nodeid] = {
        "property": rec["property"], "family": rec["family"], "doc": rec["doc"],
        "implementation": f"{rec['backend']}-{rec['device']}-{rec['dtype']}", "outcome": outcome,
        "examples": rec.get("examples"), "max_error_eps": max(errors.values(), default=None),
        "budget_used": max(used.values(), default=None), "errors_eps": errors, "reason": reason,
        "counterexample": counterexample, "reproduce": reproduce.group(1) if reproduce else None,
        "replay": rec["replay"] if outcome in ("fail", "deviation") else None,
        "deviation": rec["deviation"] if outcome == "deviation" else None, "nodeid": report.nodeid,
        "seconds": round(report.duration, 4) if report.when == "call" else None,
        "_impl": {k: rec[k] for k in ("backend", "framework", "version", "device", "dtype")},
    }
    faults.row_finished(results[report.nodeid])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    directory = config.getoption("report")
    if not directory or hasattr(config, "workerinput"):  # xdist workers report to the controller
        return
    from . import report as rep

    results = list(_RESULTS.get(id(config), {}).values())
    implementations = {}
    label = config.getoption("report_label")
    run = rep.run_info(profile=config.stash[PROFILE], max_examples=settings.default.max_examples,
                       seed=config.getoption("hypothesis_seed", None), label=label)
    for r in results:
        i = r.pop("_impl")
        iid = f"{i['backend']}-{i['device']}-{i['dtype']}"
        implementations.setdefault(iid, {"id": iid, **i, "machine": run["machine"], "label": run["label"]})
    document = rep.build(run, implementations, results)
    document["mutants"] = sorted(_MUTANTS.get(id(config), {}).values(), key=lambda k: k["mutant"])
    paths = rep.write(document, directory)
    config.stash[REPORT_PATHS] = paths


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    for path in config.stash.get(REPORT_PATHS, []):
        terminalreporter.write_line(f"dlspec report: {path}")
    selected = {b.name for b in config.stash[BACKENDS]}
    collected = config.stash.get(COLLECTED, set())
    # An entry is unused if a selected backend that matches it ran its property (somewhere) and no item matched it:
    # a backend that lacks the property's ops (or a framework split over `dlspec audit`'s processes) is no evidence.
    unused = [d for d in config.stash[DEVIATIONS]
              if d.id not in config.stash[MATCHED]
              and any(fnmatch.fnmatchcase(n, d.backend) and (d.property, n) in collected for n in selected)]
    # Only meaningful for properties that were collected in full; -k/--dtypes/--devices narrow what can match.
    narrowed = any(config.getoption(o) for o in ("keyword", "dtypes", "devices", "shard"))
    if unused and not narrowed:
        terminalreporter.write_line(
            "dlspec: catalogue entries that matched no test item: " + ", ".join(d.id for d in unused), yellow=True)
