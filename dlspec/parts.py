"""One part of a supervised audit (dlspec/audit.py): a pytest process, restarted after a crash or a hang, and what
it has streamed (dlspec/faults.py): the item in flight, the items done, the report rows."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Any

from . import faults


def signal_name(rc: int) -> str | None:
    """'SIGSEGV' for a process that died by signal 11 (exit -11); None for an exit."""
    try:
        return signal.Signals(-rc).name if rc < 0 else None
    except ValueError:
        return None


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
                 env: dict[str, str], crashes: dict[str, Any] | None = None) -> None:
        self.index, self.total, self.label, self.cmd, self.modules = index, total, label, cmd, modules
        self.crashes = crashes or {}  # catalogue id -> its entry, where it documents a signal (`raises = "SIGSEGV"`)
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
        if self.stream.exists() and self.stream.stat().st_size:
            with open(self.stream, "rb+") as f:  # a line cut by the crash must not swallow the next one
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    f.write(b"\n")
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
        for line in data[:end].decode("utf-8", "replace").splitlines():
            try:
                e = json.loads(line)
            except ValueError:  # the end of a line cut by a crash
                continue
            if e["k"] == "start":
                self.current = {"nodeid": e["nodeid"], "item": e["item"], "t": e["t"], "case": None, "n": None,
                                "origin": e.get("origin")}
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
        record = faults.read_case(str(self.stream) + faults.CASE_SUFFIX)
        if record is not None and record[0] == self.current["nodeid"]:
            self.current.update(n=record[1], case=record[2])

    def output_tail(self, lines: int = 40) -> str:
        """The end of this process's output: from faulthandler's report, if it wrote one, else the last lines."""
        with open(self.log, "rb") as f:
            f.seek(self.log_start)
            text = f.read().decode("utf-8", "replace")
        at = text.rfind("Fatal Python error")
        return "\n".join(text[at:].splitlines()[:lines] if at >= 0 else text.splitlines()[-lines:])

    def fault(self, outcome: str, why: str, timeout: float, signal_name: str | None = None) -> dict[str, Any]:
        """The row of the item in flight, crashed or hung, and the item marked done for the restart. A crash by
        the signal that a catalogue entry covering the item documents, on a case inside that entry's region (its
        catalogued example included), is that entry's documented behaviour."""
        cur = self.current
        assert cur is not None
        self.read_case()
        item, nodeid = cur["item"] or {}, cur["nodeid"]
        case = cur["case"]
        if case is None:
            where = "before its first example"
        else:
            where = f"in example {cur['n']}" if cur["n"] else "on a catalogued example (replayed before the search)"
        documented = None
        for dev in item.get("deviations", []):
            entry = self.crashes.get(dev["id"])
            if (entry is not None and signal_name == entry.raises and case is not None and not isinstance(case, str)
                    and entry.in_region(case, item.get("dtype"))):
                documented = dev
                outcome, why = "deviation", f"documented deviation {dev['id']} ({dev['region_text']}): {why}"
                break
        case = case if case is None or isinstance(case, str) else repr(case)
        impl = {k: item.get(k) for k in ("backend", "framework", "version", "device", "dtype")}
        row = {"property": item.get("property", nodeid), "family": item.get("family", "?"), "doc": item.get("doc", ""),
               "implementation": "{backend}-{device}-{dtype}".format(**impl), "outcome": outcome,
               "examples": cur["n"], "max_error_eps": None, "budget_used": None, "errors_eps": {},
               "reason": f"{why} {where}", "counterexample": case, "reproduce": None,
               "replay": replay_command(nodeid, case, [m for m in self.modules if m == cur["origin"]], timeout)
               if case else item.get("replay"),
               "deviation": documented, "deviations": [documented] if documented else [], "nodeid": nodeid,
               "seconds": None, "output": self.output_tail(), "_impl": impl}
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
