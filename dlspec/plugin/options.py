"""The run's settings: one table of options (pytest's and `dlspec audit`'s come from it), the Hypothesis profiles,
and what `pytest_configure` resolves once per run (backends, catalogue, profile) into the config's stash."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from .. import deviations as catalogue
from ..dtypes import FLOAT_DTYPES
from ..impls import not_installed
from ..impls.interface import Backend
from .selection import csv, resolve

# filter_too_much: cases inside a catalogued region without a behaviour are discarded (dlspec.testing.check_case);
# an item whose cases mostly fall there still gets its full budget of checked cases, only more slowly.
_SUPPRESS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
             HealthCheck.filter_too_much]
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


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    env: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


OPTIONS = (
    Option("--backends", "comma-separated backends or prefixes: 'numpy,torch' ('torch' selects torch:*). "
                         "Default: every installed built-in and entry-point backend.", env="DLSPEC_BACKENDS"),
    Option("--backend-module", "audit an out-of-tree backend module (repeatable), e.g. their_pkg.dlspec_backend.",
           env="DLSPEC_BACKEND_MODULE (comma-separated)", kwargs={"action": "append", "default": []}),
    Option("--devices", "comma-separated devices, e.g. 'cpu' or 'cuda'. Default: every device a backend knows; "
                        "absent ones are skipped with the reason.", env="DLSPEC_DEVICES"),
    Option("--dtypes", f"comma-separated dtypes from {', '.join(FLOAT_DTYPES)}. Default: all.", env="DLSPEC_DTYPES"),
    Option("--deviations", "an extra deviation catalogue (TOML) for an out-of-tree backend."),
    Option("--report", "write the conformance report (report.json, report.md, report.html) to DIR",
           kwargs={"metavar": "DIR"}),
    Option("--report-label", "label of this run's columns when reports are merged (default: the machine's name)"),
    Option("--shard", "run only shard K of N (0 <= K < N): the test items whose node id hashes (CRC-32) to K mod N; "
                      "N runs with K = 0..N-1 cover every item once (to spread a long audit over machines or runs)",
           kwargs={"metavar": "K/N"}),
)


def _help(o: Option) -> str:
    return f"{o.help} Env: {o.env}." if o.env else o.help


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("dlspec", "dlspec: which implementations to audit")
    for o in OPTIONS:
        kwargs = {"default": os.environ.get(o.env.split()[0]) if o.env and "action" not in o.kwargs else None,
                  **o.kwargs}
        g.addoption(o.flag, help=_help(o), **kwargs)


def add_arguments(parser: argparse.ArgumentParser, *, exclude: tuple[str, ...] = ()) -> None:
    """The same options on an argparse command line (`dlspec audit` passes them on to pytest)."""
    for o in OPTIONS:
        if o.flag not in exclude:
            parser.add_argument(o.flag, help=_help(o), **{"default": None, **o.kwargs})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "dlspec_property(prop): a dlspec property, parametrized over implementations")
    # The default is `ci` (derandomized) with or without CI set: the README's commands must give one verdict on every
    # machine. Random seeds are for exploring (`--hypothesis-profile=dev`, seeds table in SEEDS.md), where every new
    # failure becomes a finding or a corrected model (dlspec/deviations).
    profile = config.getoption("hypothesis_profile", None) or "ci"
    if profile in PROFILES:
        settings.load_profile(profile)
    config.stash[PROFILE] = profile
    modules = list(config.getoption("backend_module")) + csv(os.environ.get("DLSPEC_BACKEND_MODULE"))
    config.stash[BACKENDS] = resolve(csv(config.getoption("backends")), modules)
    extra = (config.getoption("deviations"),) if config.getoption("deviations") else ()
    try:
        config.stash[DEVIATIONS] = catalogue.load(extra)
    except catalogue.CatalogueError as e:
        raise pytest.UsageError(str(e)) from None
    config.stash[MATCHED] = set()


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
