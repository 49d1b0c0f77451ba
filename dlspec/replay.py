"""`dlspec replay NODEID --case 'Case(...)'`: run one case of one test item in a child process and say how it ended
(passed, failed with its error, crashed by a signal, hung past --timeout). It is the replay command printed for a
crashed or hung item, so it needs nothing but what the audit recorded: the item's id names the property and the
implementation (`tests/test_softmax.py::test_softmax_matches_spec[numpy-cpu-float32]`), the case is its repr.
"""

from __future__ import annotations

import argparse
import ast
import math
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any


def add_replay_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("nodeid", help="the test item, e.g. 'tests/test_softmax.py::test_softmax_matches_spec[numpy-cpu-"
                                  "float32]'")
    p.add_argument("--case", required=True, help="the case, as the report prints it: 'Case(x=[[...]], axis=-1)'")
    p.add_argument("--backend-module", action="append", default=[], help="an out-of-tree backend module")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds the case may run (imports not counted) before it counts as hung (default 60)")
    p.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)


def parse_case(text: str) -> Any:
    """The Case of its repr: `Case(name=literal, ...)`, nan and inf allowed; lists become arrays as in the
    catalogue's examples (Case.from_example)."""
    from .properties.harness import Case

    call = ast.parse(text.strip(), mode="eval").body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Case"):
        raise ValueError(f"not a Case(...) expression: {text[:80]!r}")
    names = {"nan": math.nan, "inf": math.inf}

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [value(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        return ast.literal_eval(node)

    return Case.from_example({k.arg: value(k.value) for k in call.keywords})


def _run_case(nodeid: str, case_text: str, modules: list[str], timeout: float) -> None:
    import faulthandler
    import importlib

    from .env import pin_threads

    faulthandler.enable()
    pin_threads()
    from .impls import load, load_module
    from .properties.harness import Impl

    path, _, rest = nodeid.partition("::")
    test_name, _, param = rest.partition("[")
    name, device, dtype = param.rstrip("]").rsplit("-", 2)
    module = importlib.import_module(f"dlspec.tests.{Path(path).stem}")
    [prop] = [m.args[0] for m in getattr(getattr(module, test_name), "pytestmark", []) if m.name == "dlspec_property"]
    backends = [b for b in (load_module(m) for m in modules) if b.name == name] or [load(name)]
    case = parse_case(case_text)
    impl = Impl(backends[0], device, dtype)
    print(f"dlspec replay: {prop.name} on {name}-{device}-{dtype} with {case!r}", flush=True)
    faulthandler.dump_traceback_later(timeout)  # where it is stuck, then SIGALRM's default action ends it
    signal.setitimer(signal.ITIMER_REAL, timeout + 0.5)
    prop.check(impl, case)
    signal.setitimer(signal.ITIMER_REAL, 0)
    faulthandler.cancel_dump_traceback_later()


def run_replay(args: argparse.Namespace) -> int:
    if args.in_process:
        _run_case(args.nodeid, args.case, args.backend_module, args.timeout)
        print("dlspec replay: passed", flush=True)
        return 0
    cmd = [sys.executable, "-m", "dlspec.cli", "replay", args.nodeid, "--case", args.case, "--in-process",
           f"--timeout={args.timeout:g}", *(f"--backend-module={m}" for m in args.backend_module)]
    rc = subprocess.run(cmd).returncode
    from .parts import describe_exit

    if rc == -signal.SIGALRM:
        print(f"dlspec replay: HUNG: no result after {args.timeout:g} s (killed)", flush=True)
    elif rc < 0:
        print(f"dlspec replay: CRASHED: the process died by {describe_exit(rc)}", flush=True)
    elif rc:
        print(f"dlspec replay: FAILED ({describe_exit(rc)}): the error is above", flush=True)
    return 1 if rc else 0
