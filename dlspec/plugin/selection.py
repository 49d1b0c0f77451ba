"""Which backends a run audits, and which slice of the items (`--shard K/N`)."""

from __future__ import annotations

import fnmatch
import zlib

import pytest

from ..impls import BackendError, entry_point_names, installed, load, load_module, not_installed
from ..impls.interface import Backend


def csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def resolve(requested: list[str], modules: list[str]) -> list[Backend]:
    """Backends for names or prefixes ('torch' is every torch:*, globs allowed, 'all' or nothing: every installed
    one unless only modules are given) and out-of-tree backend modules. Raises pytest.UsageError, in one line."""
    available = installed() + entry_point_names()
    if requested == ["all"] or (not requested and not modules):
        names = available
    else:
        names = []
        for r in requested:
            pool = available
            if r.startswith("mutant:"):  # the gallery's single-bug variants of the NumPy backend
                from ..mutants import all_mutants

                pool = [f"mutant:{m}" for m in all_mutants()]
            hits = [n for n in pool if n == r or n.startswith(r + ":") or fnmatch.fnmatchcase(n, r)]
            if not hits:
                lacking = {n: m for n, m in not_installed().items() if n == r or n.startswith(r + ":")}
                why = (f"it needs {', '.join(sorted({p for m in lacking.values() for p in m}))}, not installed here"
                       if lacking else f"known backends: {', '.join(available)}")
                raise pytest.UsageError(f"--backends {r!r} matches no backend: {why}")
            names += [h for h in hits if h not in names]
    try:
        return [load(n) for n in names] + [load_module(m) for m in modules]
    except BackendError as e:
        raise pytest.UsageError(str(e)) from None


def parse_shard(value: str) -> tuple[int, int]:
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
    k, n = parse_shard(config.getoption("shard"))
    keep, drop = [], []
    for item in items:
        (keep if in_shard(item.nodeid, k, n) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
