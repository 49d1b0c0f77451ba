"""The `dlspec` command.

    dlspec audit [--backends B] [--devices D] [--dtypes T] [--profile P] [-- pytest args...]
        run every property on the selected implementations (default: all installed) and summarise.
    dlspec backends [--ops]
        list the backends known here, installed or not, with versions, devices and dtypes.
    dlspec bench [--backends B] [--dtype T] [--examples N] [--repeat R] [--mutants]
        the benchmark: examples per second per backend and family, and overhead against a bare loop.
    dlspec new-backend my_backend.py [--name mine:api]
        write a backend skeleton: every operation stubbed with the spec's docstring, to fill in op by op.
    dlspec report merge A.json B.json -o DIR
        merge conformance reports from several machines or framework versions into one matrix.
    dlspec replay NODEID --case 'Case(...)' [--backend-module M]
        run one case of one test item in a child process: the replay command of a crashed or hung item.
    dlspec mutants [--max-examples N]
        run the mutant gallery and print the kill table (which property kills each planted bug, and when).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from .plugin.options import add_arguments
from .replay import add_replay_arguments, run_replay


def _tests_dir() -> Path:
    from . import tests

    return Path(tests.__file__).resolve().parent


# Seconds one backend's share of the default audit takes in one process (CI profile, every dtype): the sum of its
# items' "seconds" in the report of `dlspec audit --report` on the project's 2-core machine, 2026-11-25. Backends
# are spread over the processes by these weights (longest first, each into the least loaded process). A framework
# may land in two processes: one more import (<= 5 s) costs far less than the imbalance of keeping it whole (the
# Keras column alone is a quarter of the audit). Unknown backends (out-of-tree, entry points) weigh DEFAULT_COST.
_COST = {"tensorflow:keras": 257.0, "torch:functional": 142.0, "tensorflow:nn": 138.0, "jax:flax": 138.0,
         "numpy": 119.0, "jax:optax": 69.0, "jax:lax": 47.0, "jax:nn": 46.0, "spec": 38.0,
         "tensorflow:fused_batch_norm": 24.0, "torch:nn": 60.0, "torch:distributions": 2.0}
DEFAULT_COST = 60.0

# The slowest legitimate example, measured 2026-12-06: the longest time from an example's start (or its item's) to
# the next example or the item's end, CI profile, float32, jax:flax + tensorflow:keras + torch:functional (the
# costliest columns: per-shape compiles of Flax's VJPs), every family, on the 2-core machine shared with six other
# test runs. The default is about five times that, for a machine under heavier load.
SLOWEST_EXAMPLE = "the slowest legitimate example measured took 5.6 s, the first of torch's KL near zero, then 4.6 s "
SLOWEST_EXAMPLE += "for Flax's batch-norm VJP compiling a new shape, on a loaded 2-core machine"
EXAMPLE_TIMEOUT = 30.0


def _expand(tokens: list[str]) -> list[str]:
    """Framework prefixes ('torch') as the installed backends they select; other tokens as given."""
    from .impls import installed

    names = installed()
    out: list[str] = []
    for t in tokens:
        hits = [n for n in names if n.startswith(t + ":")] if t not in names else []
        out += [h for h in (hits or [t]) if h not in out]
    return out


def _groups(tokens: list[str], jobs: int) -> list[list[str]]:
    """Backends in at most `jobs` groups of about equal measured cost (longest-processing-time first): each
    process imports only the frameworks of its own backends."""
    groups: list[list[str]] = [[] for _ in range(max(1, jobs))]
    loads = [0.0] * len(groups)
    for name in sorted(_expand(tokens), key=lambda n: -_COST.get(n, DEFAULT_COST)):
        i = loads.index(min(loads))
        groups[i].append(name)
        loads[i] += _COST.get(name, DEFAULT_COST)
    return [g for g in groups if g]


def _audit_command(args: argparse.Namespace, passthrough: list[str], *, backends: str | None,
                   modules: list[str]) -> list[str]:
    """One part's pytest command; the part streams its rows (-p dlspec.faults) and this process writes the report."""
    families = [f.strip() for f in (args.family or "").split(",") if f.strip()]
    paths = [str(_tests_dir() / f"test_{f}.py") for f in families] or [str(_tests_dir())]
    cmd = [sys.executable, "-m", "pytest", *paths, "-p", "dlspec.faults", "-p", "dlspec.pytest_plugin",
           "-m", "dlspec_property", "-q", "-rfE", f"--hypothesis-profile={args.profile}"]
    for opt, value in (("backends", backends), ("devices", args.devices), ("dtypes", args.dtypes),
                       ("deviations", args.deviations), ("report-label", args.report_label), ("shard", args.shard)):
        if value:
            cmd.append(f"--{opt}={value}")
    cmd += [f"--backend-module={m}" for m in modules]
    return cmd + passthrough


def _audit(args: argparse.Namespace, passthrough: list[str]) -> int:
    if args.open and not args.report:
        args.report = "reports"
    from .audit import run

    code = run(args, passthrough)
    if args.open:
        import webbrowser

        page = (Path(args.report) / "report.html").resolve()
        if not webbrowser.open(page.as_uri()):
            print(f"dlspec audit: no browser to open; the report is {page}")
    return code


def _coverage(backends: list) -> None:
    """Which backend provides which operation: one row per op, one column per backend."""
    from .spec import FAMILY_OF, OPS

    print("\n| family | operation | " + " | ".join(b.name for b in backends) + " |")
    print("|---|---|" + "---|" * len(backends))
    for op in OPS:
        marks = " | ".join("✓" if op in b.ops else "" for b in backends)
        print(f"| {FAMILY_OF[op]} | `{op}` | {marks} |")


def _backends(args: argparse.Namespace, __: list[str]) -> int:
    from .impls import BUILTIN, BackendError, entry_point_names, load, not_installed

    missing = not_installed()
    loaded = []
    for name in [*BUILTIN, *entry_point_names()]:
        if name in missing:
            print(f"{name:28s} not installed (needs {', '.join(missing[name])})")
            continue
        try:
            b = load(name)
        except BackendError as e:
            print(f"{name:28s} broken: {e}")
            continue
        loaded.append(b)
        print(f"{name:28s} {b.version:32s} devices {','.join(b.devices):10s} dtypes {','.join(b.dtypes)}; "
              f"{len(b.ops)} ops")
    if args.ops:
        _coverage(loaded)
    return 0


def _mutants(args: argparse.Namespace, _: list[str]) -> int:
    from .mutation import format_table, kill_table

    kills = kill_table(max_examples=args.max_examples)
    print(format_table(kills))
    survivors = [k.mutant for k in kills if k.killed_by is None]
    print(f"\n{len(kills) - len(survivors)} of {len(kills)} mutants killed"
          + (f"; survivors: {', '.join(survivors)}" if survivors else ""))
    return 1 if survivors else 0


# Sub-commands with a parser of their own, dispatched before argparse (sub-parsers cannot pass the rest through
# untouched) and listed in `dlspec --help` all the same: name -> (module, help).
DELEGATED = {
    "report": ("report", "merge conformance reports into one matrix (dlspec report merge A/report.json B/… -o DIR)"),
    "bench": ("bench", "the benchmark: examples per second per family and backend, ceilings, mutant medians"),
    "new-backend": ("skeleton", "write the skeleton of an out-of-tree backend module with every operation's stub"),
    "findings": ("findings", "the deviation catalogue as a table: framework, API, cause, dtypes, class, upstream"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] and argv[0] in DELEGATED:
        module = importlib.import_module(f".{DELEGATED[argv[0]][0]}", __package__)
        return module.main(argv[1:])
    passthrough: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, passthrough = argv[:i], argv[i + 1:]
    parser = argparse.ArgumentParser(prog="dlspec", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    audit = sub.add_parser("audit", help="run every property on the selected implementations")
    add_arguments(audit)  # the options the pytest plugin takes too (dlspec/plugin/options.py), passed on to it
    audit.add_argument("--family", help="comma-separated property families, e.g. softmax,conv (default: all); "
                                        "only their test modules are collected")
    audit.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                       help="run backend groups in this many processes side by side (each imports only its own "
                            "frameworks, one thread each) and combine their reports; default: one per core")
    audit.add_argument("--example-timeout", type=float, default=EXAMPLE_TIMEOUT, metavar="SECONDS",
                       help="report an item as hung, and restart its process without it, when one example makes no "
                            f"progress for this long (default {EXAMPLE_TIMEOUT:g}; {SLOWEST_EXAMPLE})")
    audit.add_argument("--memory-limit", type=float, metavar="GIB",
                       help="cap each process's address space (RLIMIT_AS): an allocation beyond it raises "
                            "MemoryError, reported with its case (default: no cap; frameworks reserve large "
                            "virtual ranges, so give several GiB)")
    audit.add_argument("--open", action="store_true",
                       help="open report.html in a browser when the run ends (implies --report reports)")
    audit.add_argument("--profile", default="ci", choices=["dev", "ci", "thorough"],
                       help="Hypothesis profile: dev 25, ci 100 (derandomized), thorough 1000 examples a property")
    audit.set_defaults(run=_audit)
    listing = sub.add_parser("backends", help="list known backends")
    listing.add_argument("--ops", action="store_true", help="also print which backend provides which operation")
    listing.set_defaults(run=_backends)
    replay = sub.add_parser("replay", help="run one case of one test item in a child process (the replay "
                            "command of a crashed or hung item)")
    add_replay_arguments(replay)
    replay.set_defaults(run=lambda a, _: run_replay(a))
    mut = sub.add_parser("mutants", help="run the mutant gallery and print the kill table")
    mut.add_argument("--max-examples", type=int, default=100, help="examples per property and dtype (default 100)")
    mut.set_defaults(run=_mutants)
    for name, (_, text) in DELEGATED.items():
        sub.add_parser(name, help=text, add_help=False)  # listed here; dispatched above with their own parsers
    args = parser.parse_args(argv)
    return args.run(args, passthrough)


if __name__ == "__main__":
    raise SystemExit(main())
