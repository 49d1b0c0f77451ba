"""`dlspec audit` as a supervisor: the parts (one pytest process per backend group) stream what they do to disk
(dlspec/faults.py), and this process watches them, so that no end of the run loses anything.

- A part that dies by a signal (or exits) inside an item: the item is *crashed*, with the signal, the case it was
  running and a `dlspec replay` command; the part restarts with the items already done, and the crashed one,
  deselected (as pytest-xdist replaces a worker).
- A part with no progress for --example-timeout seconds on one example: faulthandler's traceback is asked for
  (SIGABRT), the process killed, the item *hung*, the part restarted likewise.
- Ctrl-C, SIGTERM (CI's time limit) or a part that dies outside any item: the report keeps every row streamed so
  far and says in its run info why it is incomplete. While the audit runs, the report is rewritten every
  CHECKPOINT_S seconds, so even a SIGKILL of this process leaves one.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import faults
from . import report as rep

POLL_S = 0.1
CHECKPOINT_S = 30.0
GRACE_S = 5.0  # for a part to stop after SIGINT, or to dump its traceback after SIGABRT, before SIGKILL


class Interrupted(Exception):
    """Ctrl-C or a termination signal reached `dlspec audit`."""


def describe_exit(rc: int) -> str:
    if rc < 0:
        try:
            return f"{signal.Signals(-rc).name} (exit {rc})"
        except ValueError:
            return f"signal {-rc} (exit {rc})"
    return f"exit status {rc}"


def replay_command(nodeid: str, case: str, modules: list[str], timeout: float) -> str:
    return shlex.join(["python", "-m", "dlspec.cli", "replay", nodeid, "--case", case,
                       *(f"--backend-module={m}" for m in modules), f"--timeout={timeout:g}"])


class Part:
    """One pytest process (restarted after a crash or a hang) and what it has streamed."""

    def __init__(self, index: int, total: int, label: str, cmd: list[str], work: Path, modules: list[str],
                 env: dict[str, str]) -> None:
        self.index, self.total, self.label, self.cmd, self.modules = index, total, label, cmd, modules
        self.stream, self.skip, self.log = (work / f"part{index}.{ext}" for ext in ("jsonl", "skip", "log"))
        self.env = {**env, faults.STREAM: str(self.stream), faults.SKIP: str(self.skip)}
        self.offset = 0
        self.current: dict[str, Any] | None = None
        self.done: set[str] = set()
        self.rows: dict[str, dict[str, Any]] = {}
        self.exits: list[int] = []
        self.ended: str | None = None  # why this part stopped before running all its items
        self.proc: subprocess.Popen | None = None
        self.log_start = 0

    @property
    def name(self) -> str:
        return f"dlspec audit [{self.index + 1}/{self.total}]"

    def start(self) -> None:
        self.skip.write_text("".join(f"{n}\n" for n in sorted(self.done)), encoding="utf-8")
        self.log_start = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                         start_new_session=True)  # Ctrl-C reaches us; we stop the parts
        self.current = None

    def read(self) -> None:
        if not self.stream.exists():
            return
        with open(self.stream, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # a line cut by a crash is not an event
        self.offset += end
        for line in data[:end].decode("utf-8").splitlines():
            e = json.loads(line)
            if e["k"] == "start":
                self.current = {"nodeid": e["nodeid"], "item": e["item"], "t": e["t"], "case": None, "n": None}
            elif e["k"] == "row":
                self.rows[e["row"]["nodeid"]] = e["row"]
            elif e["k"] == "finish":
                self.done.add(e["nodeid"])
                self.current = None

    def last_progress(self) -> float:
        """When the item in flight, or its latest example, began."""
        assert self.current is not None
        try:
            return max(self.current["t"], os.stat(str(self.stream) + faults.CASE_SUFFIX).st_mtime)
        except FileNotFoundError:
            return self.current["t"]

    def read_case(self) -> None:
        """The example the item in flight was running when its process ended (faults.about_to_run)."""
        assert self.current is not None
        try:
            with open(str(self.stream) + faults.CASE_SUFFIX, "rb") as f:
                record = json.loads(f.read().split(b"\n", 1)[0])
        except (OSError, ValueError):
            return
        if record["nodeid"] == self.current["nodeid"]:
            self.current.update(case=record["case"], n=record["n"])

    def output_tail(self, lines: int = 40) -> str:
        """The end of this process's output: from faulthandler's report, if it wrote one, else the last lines."""
        with open(self.log, "rb") as f:
            f.seek(self.log_start)
            text = f.read().decode("utf-8", "replace")
        at = text.rfind("Fatal Python error")
        return "\n".join(text[at:].splitlines()[:lines] if at >= 0 else text.splitlines()[-lines:])

    def fault(self, outcome: str, why: str, timeout: float) -> dict[str, Any]:
        """The row of the item in flight, crashed or hung, and the item marked done for the restart."""
        cur = self.current
        assert cur is not None
        self.read_case()
        item, nodeid = cur["item"] or {}, cur["nodeid"]
        case = cur["case"]
        if case is None and item.get("deviation"):  # it died replaying the catalogued example
            from .properties.harness import Case

            case = repr(Case.from_example(item["deviation"]["example"]))
        where = f"example {cur['n']}" if cur["n"] else "before its first example"
        impl = {k: item.get(k) for k in ("backend", "framework", "version", "device", "dtype")}
        row = {"property": item.get("property", nodeid), "family": item.get("family", "?"), "doc": item.get("doc", ""),
               "implementation": "{backend}-{device}-{dtype}".format(**impl), "outcome": outcome,
               "examples": cur["n"], "max_error_eps": None, "budget_used": None, "errors_eps": {},
               "reason": f"{why} in {where}", "counterexample": case, "reproduce": None,
               "replay": replay_command(nodeid, case, self.modules, timeout) if case else item.get("replay"),
               "deviation": None, "nodeid": nodeid, "seconds": None, "output": self.output_tail(), "_impl": impl}
        self.rows[nodeid] = row
        self.done.add(nodeid)
        self.current = None
        return row

    def stop(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, seconds: float) -> int:
        assert self.proc is not None
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            self.stop(signal.SIGKILL)
            return self.proc.wait()


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def supervise(parts: list[Part], *, timeout: float, report_dir: Path | None, run: dict[str, Any]) -> int:
    """Run the parts to their end, restarting after crashes and hangs; write the report (also on Ctrl-C)."""
    previous = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    started, checkpoint = time.time(), time.time()
    interrupted = None
    try:
        for p in parts:
            p.start()
        running = list(parts)
        while running:
            time.sleep(POLL_S)
            for p in list(running):
                _step(p, timeout, running)
            if report_dir and time.time() - checkpoint > CHECKPOINT_S:
                _write(parts, report_dir, run, "a checkpoint written while the audit was running: it ended "
                       "without writing its final report (killed)", quiet=True)
                checkpoint = time.time()
    except Interrupted as e:
        for s in previous:
            signal.signal(s, signal.SIG_IGN)  # a second Ctrl-C must not cost the report
        interrupted = f"interrupted by {e} after {time.time() - started:.0f} s"
        print(f"\ndlspec audit: {interrupted}; stopping the parts", file=sys.stderr, flush=True)
        for p in parts:
            p.stop(signal.SIGINT)
        for p in parts:
            if p.proc is not None:
                p.wait(GRACE_S)
                p.read()
                p.ended = p.ended or ("stopped while running " + p.current["nodeid"] if p.current else None)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    for p in parts:
        _print_part(p)
    faulty = [r for p in parts for r in p.rows.values() if r["outcome"] in ("crashed", "hung")]
    for r in faulty:
        print(f"dlspec audit: {r['outcome'].upper()} {r['nodeid']}: {r['reason']}\n  case: {r['counterexample']}"
              f"\n  replay: {r['replay']}", flush=True)
    reasons = [interrupted] if interrupted else []
    reasons += [f"{p.name} ({p.label}): {p.ended}" for p in parts if p.ended]
    if report_dir:
        _write(parts, report_dir, run, "; ".join(reasons) or None)
    if interrupted:
        return 2
    codes = [c for p in parts for c in p.exits[-1:]]
    failing = [c for c in codes if c not in (0, 5)]
    if faulty or any(c < 0 for c in failing):
        failing.append(1)
    return max((c for c in failing if c > 0), default=0) or (5 if codes and all(c == 5 for c in codes) else 0)


def _step(p: Part, timeout: float, running: list[Part]) -> None:
    p.read()
    assert p.proc is not None
    rc = p.proc.poll()
    if rc is None:
        if p.current is not None and time.time() - p.last_progress() > timeout:
            p.stop(signal.SIGABRT)  # faulthandler (pytest enables it) prints where it was stuck
            rc = p.wait(GRACE_S)
            p.exits.append(rc)
            p.read()
            if p.current is not None:
                row = p.fault("hung", f"no progress for {timeout:g} s (--example-timeout); killed", timeout)
                print(f"{p.name}: HUNG {row['nodeid']}; restarting without the {len(p.done)} items done", flush=True)
            p.start()
        return
    p.exits.append(rc)
    p.read()
    if p.current is not None:  # it died inside an item: that item is the finding; the rest must still run
        row = p.fault("crashed", f"the process died by {describe_exit(rc)}", timeout)
        print(f"{p.name}: CRASHED {row['nodeid']} ({describe_exit(rc)}); restarting without the {len(p.done)} "
              "items done", flush=True)
        p.start()
        return
    running.remove(p)
    if rc not in (0, 1, 5):
        last = p.output_tail(1).strip()
        p.ended = f"the process ended by {describe_exit(rc)} outside any item after {len(p.done)} items" + (
            f": {last}" if last else "")


def _print_part(p: Part) -> None:
    restarts = f"; restarted {len(p.exits) - 1}×" if len(p.exits) > 1 else ""
    print(f"\n===== {p.name}: {p.label} (exit {', '.join(map(str, p.exits)) or '–'}{restarts}) =====", flush=True)
    if p.log.exists():
        print(p.log.read_text(encoding="utf-8", errors="replace"), end="", flush=True)


def _write(parts: list[Part], directory: Path, run: dict[str, Any], incomplete: str | None, *,
           quiet: bool = False) -> None:
    document = rep.from_rows({**run, "incomplete": incomplete}, [r for p in parts for r in p.rows.values()])
    document["mutants"] = []
    try:
        paths = rep.write(document, directory)
    except OSError as e:
        print(f"dlspec audit: could not write the report: {e}", file=sys.stderr)
        return
    for path in [] if quiet else paths:
        print(f"dlspec report: {path}" + (" (incomplete)" if incomplete else ""), flush=True)


def work_dir(report: str | None) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    """Where the parts' streams and logs live: beside the report (kept, for a post-mortem), else a temp folder."""
    if report:
        path = Path(report) / "parts"
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob("part*"):
            old.unlink()
        return path, None
    tmp = tempfile.TemporaryDirectory(prefix="dlspec-audit-")
    return Path(tmp.name), tmp
