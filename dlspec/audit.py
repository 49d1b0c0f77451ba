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

import argparse
import importlib
import os
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import settings

from . import faults
from . import report as rep
from .parts import Part, describe_exit, signal_name

POLL_S = 0.1
GRACE_S = 5.0  # for a part to stop after SIGINT, or to dump its traceback after SIGABRT, before SIGKILL
CHECKPOINT_S = float(os.environ.get("DLSPEC_AUDIT_CHECKPOINT_S", 30.0))  # the variable is for tests


class Interrupted(Exception):
    """Ctrl-C or a termination signal reached `dlspec audit`."""


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def supervise(parts: list[Part], *, timeout: float, report_dir: Path | None, run: dict[str, Any]) -> int:
    """Run the parts to their end, restarting after crashes and hangs; write the report (also on Ctrl-C)."""
    previous = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    started, checkpoint = time.time(), time.time()
    interrupted, failed = None, False
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
    except Exception as e:  # Interrupted (Ctrl-C, SIGTERM, SIGHUP), or a bug of ours: stop, keep what ran
        for s in previous:
            signal.signal(s, signal.SIG_IGN)  # a second Ctrl-C must not cost the report
        interrupted = f"interrupted by {e} after {time.time() - started:.0f} s"
        if not isinstance(e, Interrupted):
            import traceback

            where = parts[0].log.parent / "supervisor-error.txt"
            where.write_text(traceback.format_exc(), encoding="utf-8")
            interrupted, failed = f"dlspec audit failed ({type(e).__name__}: {e}; traceback in {where})", True
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
    return 3 if failed else _exit_code(parts, interrupted=bool(interrupted))


def _exit_code(parts: list[Part], *, interrupted: bool) -> int:
    """pytest's codes: 2 interrupted, 3 or 4 a part's internal or usage error, 1 any finding or a part that died
    outside an item, 5 nothing ran, else 0. From the rows, so findings of a process that crashed later count."""
    if interrupted:
        return 2
    ended = [p.exits[-1] for p in parts if p.ended and p.exits]
    rows = [r for p in parts for r in p.rows.values()]
    if any(c > 1 for c in ended):
        return max(c for c in ended if c > 1)
    if ended or any(r["outcome"] in ("fail", "crashed", "hung") for r in rows):
        return 1
    return 5 if not rows and all(p.exits[-1:] == [5] for p in parts) else 0


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
        row = p.fault("crashed", f"the process died by {describe_exit(rc)}", timeout, signal_name(rc))
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


def run(args: argparse.Namespace, passthrough: list[str]) -> int:
    """`dlspec audit`: the backends in `--jobs` groups, one supervised part each (see the module docstring)."""
    from .cli import _audit_command, _groups, _tests_dir
    from .impls import entry_point_names, installed

    modules = args.backend_module or []
    families = [f.strip() for f in (args.family or "").split(",") if f.strip()]
    unknown = [f for f in families if not (_tests_dir() / f"test_{f}.py").exists()]
    if unknown:
        from .spec import FAMILY_OF

        known = sorted(f for f in set(FAMILY_OF.values()) if (_tests_dir() / f"test_{f}.py").exists())
        print(f"dlspec audit: --family {','.join(unknown)}: no such family (known: {', '.join(known)})",
              file=sys.stderr)
        return 4
    if args.jobs <= 1:
        groups: list[list[str] | None] = [None]  # one process: --backends as given (default: all installed)
    else:
        tokens = [t.strip() for t in args.backends.split(",") if t.strip()] if args.backends else [
            *installed(), *entry_point_names()]
        groups = list(_groups(tokens, args.jobs))
    env = os.environ.copy()
    if args.memory_limit:
        env[faults.MEMORY_LIMIT] = str(int(args.memory_limit * 2**30))
    from .deviations import CatalogueError, load

    try:
        crashes = {d.id: d for d in load((args.deviations,) if args.deviations else ())
                   if d.raises and d.raises.startswith("SIG")}
    except (OSError, CatalogueError) as e:
        print(f"dlspec audit: {e}", file=sys.stderr)
        return 4
    work, tmp = work_dir(args.report)
    parts = []
    for i, group in enumerate(groups):
        backends = args.backends if group is None else ",".join(group)
        cmd = _audit_command(args, passthrough, backends=backends, modules=modules if i == 0 else [])
        label = ",".join([*(group or [backends or "all installed"]), *(modules if i == 0 else [])])
        parts.append(Part(i, len(groups), label, cmd, work, modules if i == 0 else [], env, crashes))
        print(f"{parts[-1].name}:", shlex.join(cmd), flush=True)
    importlib.import_module("dlspec.pytest_plugin")  # registers the Hypothesis profiles
    seed = next((a.split("=", 1)[1] for a in passthrough if a.startswith("--hypothesis-seed=")), None)
    info = rep.run_info(profile=args.profile, max_examples=settings.get_profile(args.profile).max_examples,
                        seed=seed, label=args.report_label)
    try:
        return supervise(parts, timeout=args.example_timeout, report_dir=Path(args.report) if args.report else None,
                         run=info)
    finally:
        if tmp is not None:
            tmp.cleanup()
