"""The child side of a supervised audit (`dlspec audit`, see dlspec/audit.py): what a pytest process writes down so
that its parent loses nothing when it crashes, hangs or is interrupted.

The parent sets DLSPEC_FAULTS_STREAM to a file; this process appends one JSON line per event and flushes it, so the
file survives a segfault, an abort or a SIGKILL:

    {"k": "start", "nodeid": ..., "item": {property, family, backend, device, dtype, ...}, "t": unix time}
    {"k": "row", "row": {report row}}                                     each report row as the item logs it
    {"k": "finish", "nodeid": ...}

Before each example's backend calls, the example is written over the start of the file STREAM + ".case" with one
pwrite(2): a line `<example number> <payload bytes> <node id>` and the pickled fields of the Case (a shorter case
leaves the end of a longer one behind it, which the reader ignores). The file stays one case long, whatever the
number of examples, and its modification time is when the example began (the parent's clock for hangs). Pickle,
not the Case's repr: the repr of a 1,536-element case costs ~15 ms on a loaded 2-core machine, pickling it and
the write ~0.3 ms (measured); the parent, which has all the time in the world after a crash, writes the repr.

DLSPEC_FAULTS_SKIP names a file of node ids (one a line) to deselect: the items a crashed process already ran,
and the one that crashed it, as pytest-xdist does when it replaces a worker. DLSPEC_MEMORY_LIMIT (bytes) caps
this process's address space (RLIMIT_AS), so a runaway allocation raises MemoryError with its case instead of
taking the machine down.

Loaded with `-p dlspec.faults`; outside a supervised audit every function here returns at once.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
from typing import Any, TextIO

import pytest

STREAM = "DLSPEC_FAULTS_STREAM"
SKIP = "DLSPEC_FAULTS_SKIP"
MEMORY_LIMIT = "DLSPEC_MEMORY_LIMIT"

CASE_SUFFIX = ".case"

_stream: TextIO | None = None
_case_fd: int | None = None
_nodeid = ""


def _emit(event: dict[str, Any]) -> None:
    if _stream is not None:
        _stream.write(json.dumps(event, default=repr) + "\n")
        _stream.flush()  # in the file even if the next instruction segfaults


def about_to_run(impl: Any, case: Any) -> None:
    """Record the example about to run (called by dlspec.testing.bind right after the case is drawn)."""
    if _case_fd is not None:
        try:
            payload = pickle.dumps(case.fields(), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # a field that does not pickle: its repr, the parent's fallback
            payload = pickle.dumps(repr(case))
        os.pwrite(_case_fd, b"%d %d %s\n" % (impl.stats.examples, len(payload), _nodeid.encode()) + payload, 0)


def read_case(path: str) -> tuple[str, int, Any] | None:
    """(node id, example number, the Case — or its repr where a field did not pickle) from a file that
    about_to_run wrote, or None."""
    try:
        with open(path, "rb") as f:
            head, _, rest = f.read().partition(b"\n")
        n, size, nodeid = head.decode().split(" ", 2)
        fields = pickle.loads(rest[:int(size)])
    except (OSError, ValueError, EOFError, pickle.UnpicklingError):
        return None
    if isinstance(fields, str):
        return nodeid, int(n), fields
    from .properties.harness import Case

    return nodeid, int(n), Case(**fields)


def row_finished(row: dict[str, Any]) -> None:
    """Stream a finished report row (called by the plugin's pytest_runtest_logreport)."""
    if _stream is not None:
        _emit({"k": "row", "row": row})


def pytest_configure(config: pytest.Config) -> None:
    global _stream, _case_fd
    path = os.environ.get(STREAM)
    if path:
        _stream = open(path, "a", encoding="utf-8")  # open for the life of the process
        _case_fd = os.open(path + CASE_SUFFIX, os.O_WRONLY | os.O_CREAT, 0o644)
        _die_with_parent()
    limit = os.environ.get(MEMORY_LIMIT)
    if limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (int(limit), resource.getrlimit(resource.RLIMIT_AS)[1]))


def _die_with_parent() -> None:
    """The parent runs us in a session of our own (so that Ctrl-C reaches it alone); if it is killed outright,
    this process must not run on, orphaned: Linux's PR_SET_PDEATHSIG sends us SIGKILL when it dies."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
        if os.getppid() == 1:  # it died before the call
            os._exit(1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    path = os.environ.get(SKIP)
    if not path or not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        done = {line.strip() for line in f if line.strip()}
    drop = [i for i in items if i.nodeid in done]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [i for i in items if i.nodeid not in done]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> None:
    global _nodeid
    _nodeid = item.nodeid
    if _stream is not None:
        from .plugin.results import _item_record

        callspec = getattr(item, "callspec", None)
        backend = getattr(callspec.params.get("impl"), "backend", None) if callspec else None
        _emit({"k": "start", "nodeid": item.nodeid, "item": _item_record(item), "t": time.time(),
               "origin": getattr(backend, "origin", None)})


def pytest_runtest_logfinish(nodeid: str) -> None:
    _emit({"k": "finish", "nodeid": nodeid})
