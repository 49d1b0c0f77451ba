"""What a run observed, item by item: the record each item's reports carry (xdist-safe), its outcome, the command
that replays it, and at the end the report and the catalogue's warning about entries that matched nothing.

`Results` is registered once per run (by `pytest_configure`): it collects the rows on the controller, where the
workers' reports arrive, and writes the report when the session finishes.
"""

from __future__ import annotations

import fnmatch
import re
import shlex

import pytest
from hypothesis import settings

from ..properties.harness import Case, Impl, Property
from .options import BACKENDS, DEVIATIONS, MATCHED, PROFILE
from .params import COLLECTED, ImplParam

_REPRODUCE = re.compile(r"(@reproduce_failure\([^)]*\))")


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
    return {
        "property": prop.name, "family": prop.family, "doc": prop.doc,
        "backend": param.backend.name, "framework": param.backend.framework, "version": param.backend.version,
        "device": param.device, "dtype": param.dtype,
        "deviations": [d.as_record() for d in param.deviations],
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
            st = impl.stats
            record.update(examples=st.examples, errors_eps=st.err_eps, used=st.used, confirmed=list(st.confirmed),
                          checked={"spec": st.spec, "behaviour": dict(st.behaviour), "region": dict(st.region)})
            if report.failed and st.last_case is not None:
                record["counterexample"] = repr(st.last_case)  # the last case run: Hypothesis' minimal one
        report.user_properties.append(("dlspec", record))
    if report.when == "call" and report.failed and "impl" in getattr(item, "fixturenames", ()):
        report.sections.append(("dlspec replay", f"Replay this failure with:\n  {replay_command(item)}\n"
                                "(the case above is the minimal counterexample; the @reproduce_failure line, "
                                "if printed, replays it exactly)"))


def _outcome(report: pytest.TestReport) -> str | None:
    if report.when == "setup":
        return "skip" if report.skipped else ("fail" if report.failed else None)
    if report.when == "call":
        return "pass" if report.passed else ("skip" if report.skipped else "fail")
    return "fail" if report.failed else None  # teardown


def row(report: pytest.TestReport) -> dict | None:
    """The report row of one test report of a property's item, or None (not a property, or a phase with nothing
    to say)."""
    records = [v for k, v in report.user_properties if k == "dlspec"]
    outcome = _outcome(report)
    if not records or outcome is None:
        return None
    rec = dict(records[-1])
    text = report.longreprtext or ""
    reason = None
    if outcome == "skip" and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
    elif outcome == "fail":
        crash = getattr(report.longrepr, "reprcrash", None)
        reason = crash.message.splitlines()[0] if crash is not None and crash.message else text.splitlines()[-1:]
        reason = reason if isinstance(reason, str) else " ".join(reason)
    confirmed = [d for d in rec.get("deviations", []) if d["id"] in rec.get("confirmed", ())]
    counterexample = rec.get("counterexample")
    if outcome == "pass" and confirmed:
        # conforms outside the documented regions, and each documented deviation reproduced on its example
        outcome = "deviation"
        reason = "; ".join(f"documented deviation {d['id']}: {d['reason']} (region: {d['region_text']})"
                           for d in confirmed)
        counterexample = repr(Case.from_example(confirmed[0]["example"])) if confirmed[0]["example"] else None
    reproduce = _REPRODUCE.search(text)
    errors = rec.pop("errors_eps", None) or {}
    used = rec.pop("used", None) or {}
    return {
        "property": rec["property"], "family": rec["family"], "doc": rec["doc"],
        "implementation": f"{rec['backend']}-{rec['device']}-{rec['dtype']}", "outcome": outcome,
        "examples": rec.get("examples"), "max_error_eps": max(errors.values(), default=None),
        "budget_used": max(used.values(), default=None), "errors_eps": errors, "reason": reason,
        "counterexample": counterexample, "reproduce": reproduce.group(1) if reproduce else None,
        "replay": rec["replay"] if outcome in ("fail", "deviation") else None,
        "deviation": confirmed[0] if outcome == "deviation" else None, "deviations": confirmed,
        "checked": rec.get("checked"), "nodeid": report.nodeid,
        "seconds": round(report.duration, 4) if report.when == "call" else None,
        "_impl": {k: rec[k] for k in ("backend", "framework", "version", "device", "dtype")},
    }


class Results:
    """The run's rows (node id -> row) and the mutant gallery's kills, collected where the reports arrive."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rows: dict[str, dict] = {}
        self.mutants: dict[str, dict] = {}
        self.paths: list = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            for k, v in report.user_properties:
                if k == "dlspec_mutant":
                    self.mutants[v["mutant"]] = v
        r = row(report)
        if r is not None:
            self.rows[report.nodeid] = r

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = self.config
        directory = config.getoption("report")
        if not directory or hasattr(config, "workerinput"):  # xdist workers report to the controller
            return
        from .. import report as rep

        results = [dict(r) for r in self.rows.values()]
        implementations = {}
        run = rep.run_info(profile=config.stash[PROFILE], max_examples=settings.default.max_examples,
                           seed=config.getoption("hypothesis_seed", None), label=config.getoption("report_label"))
        for r in results:
            i = r.pop("_impl")
            iid = f"{i['backend']}-{i['device']}-{i['dtype']}"
            implementations.setdefault(iid, {"id": iid, **i, "machine": run["machine"], "label": run["label"]})
        document = rep.build(run, implementations, results)
        document["mutants"] = sorted(self.mutants.values(), key=lambda k: k["mutant"])
        self.paths = rep.write(document, directory)

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int, config: pytest.Config) -> None:
        for path in self.paths:
            terminalreporter.write_line(f"dlspec report: {path}")
        selected = {b.name for b in config.stash[BACKENDS]}
        collected = config.stash.get(COLLECTED, set())
        # An entry is unused if a selected backend that matches it ran one of its properties (somewhere) and no item
        # matched it: a backend that lacks the property's ops (or a framework split over `dlspec audit`'s processes)
        # is no evidence.
        unused = [d for d in config.stash[DEVIATIONS]
                  if d.id not in config.stash[MATCHED]
                  and any(any(fnmatch.fnmatchcase(n, b) for b in d.backends) and (p, n) in collected
                          for n in selected for p in d.properties)]
        # Only meaningful for properties that were collected in full; -k/--dtypes/--devices narrow what can match.
        narrowed = any(config.getoption(o) for o in ("keyword", "dtypes", "devices", "shard"))
        if unused and not narrowed:
            terminalreporter.write_line(
                "dlspec: catalogue entries that matched no test item: " + ", ".join(d.id for d in unused),
                yellow=True)
