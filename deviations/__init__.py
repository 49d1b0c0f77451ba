"""The deviation catalogue: documented disagreements of a framework with the spec, one TOML file per framework.

A deviation is a *region* of inputs with a documented *behaviour*, not one example. One entry per cause:

```toml
[[deviation]]
id = "keras-batch-norm-biased-moving-variance"     # stable short name, one entry per cause
backend = ["tensorflow:keras"]                      # a glob or a list of globs ("torch:*")
property = ["batch_norm_running_stats_matches_spec"]   # a name or a list: every property the cause reaches
dtypes = ["float32", "float64"]                     # optional (default: every dtype)
devices = ["cpu"]                                   # optional (default: every device)
observed = "3.15.1"; api = "…"; spec = "…"; behaviour = "…"; reason = "…"
region = "everywhere"          # where it deviates: a predicate (case, dtype, **region_args) -> bool, named in
region_args = { }              #   dlspec/deviations/regions.py, or "package.module:function" for your own
region_doc = "…"               # optional: the region in words (default: the predicate's docstring)
behaves = "biased_running_variance"   # optional: what the framework does there, a check (prop, impl, case) -> None
                                      #   in dlspec/deviations/behaviours.py or "package.module:function"
raises = "ValueError"          # optional: inside the region the framework raises this (a behaviour too)
match = "regex"                # optional: the failure (or the raised message) must match this
class = "accuracy-limit"       # bug | convention | accuracy-limit, and `class_why`, one sentence why
upstream = { status = "issue", ref = "https://…", title = "…", note = "…" }
                               # status: issue (ref: the issue, PR or commit) | documented (ref: the doc, title:
                               #   its sentence) | not-found (note: the queries tried, and the date searched)

[[deviation.examples]]         # the minimal examples (one or more); the single-example form
property = "batch_norm_running_stats_matches_spec"   #   `example = { … }` is still accepted
dtypes = ["float32"]           # optional: the dtypes / backend glob this example reproduces on
backend = "tensorflow:keras"   # optional
match = "regex"                # optional: this example's failure message (default: the entry's)
was = "old-id"                 # optional, free text: provenance (an earlier entry's id)
case = { x = [[…]], … }        # the minimal Case (lists become arrays)
```

How an item that an entry covers is audited (dlspec/testing.py, dlspec/pytest_plugin.py):
  1. every example of the entry that matches the item (property, dtype, backend) is replayed first, strictly: it must
     still fail as documented (the property's assertion, the `raises` class, the `match` regex), else the item is red
     ("the deviation is gone: update the catalogue");
  2. then the item runs the profile's full Hypothesis budget. Each drawn case is routed:
       outside every region        the spec must hold (the property's own check);
       inside a region + behaviour the documented behaviour must hold (so a changed deviation is caught too);
       inside a region, no behaviour the case is counted for the report and not checked; it does not use up the
                                   budget (Hypothesis draws another), so every item checks as many cases as the
                                   profile asks for — unless its region is "everywhere", where the search is skipped
                                   and `region_doc` must say why.
A region predicate reads what it needs from the case's fields (the grouping from `groups`/`axis`/γ's shape, the
reduction, …) and is false for a case that lacks them, so one region serves every property of an entry. A case in
several entries' regions is routed by the first entry (in catalogue order) whose region holds it.
An entry with no `region` is the whole input space of the items it covers (as "everywhere"); the shipped catalogue
gives every entry a region (tests/test_catalogue.py).
"""

from __future__ import annotations

import fnmatch
import importlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (a dependency there)
    import tomli as tomllib

REQUIRED = ("id", "backend", "property", "observed", "api", "spec", "behaviour", "reason")
OPTIONAL = ("dtypes", "devices", "match", "raises", "region", "region_args", "region_doc", "behaves",
            "example", "examples", "class", "class_why", "upstream")
CLASSES = ("bug", "convention", "accuracy-limit")
"""bug: the framework's own documentation or other kernels say otherwise; convention: documented, the spec picks
another; accuracy-limit: within what the dtype allows, not what the spec promises."""
STATUSES = ("issue", "documented", "not-found")
EVERYWHERE = "everywhere"


class CatalogueError(Exception):
    """A catalogue file that cannot be used: bad TOML, a missing field, a duplicate id, an unknown predicate."""


@dataclass(frozen=True)
class Example:
    """One minimal example of an entry, and the items it reproduces on (None: every item the entry covers)."""

    case: dict[str, Any]
    property: str | None = None
    dtypes: tuple[str, ...] | None = None
    backend: str | None = None
    match: str | None = None   # this example's failure message (default: the entry's `match`)

    def applies(self, backend: str, prop: str, dtype: str) -> bool:
        return ((self.property is None or self.property == prop)
                and (self.dtypes is None or dtype in self.dtypes)
                and (self.backend is None or fnmatch.fnmatchcase(backend, self.backend)))


def _resolve(name: str, default_module: str, what: str, source: str) -> Callable[..., Any]:
    module, _, attr = name.rpartition(":") if ":" in name else (default_module, ":", name)
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise CatalogueError(f"{source}: {what} {name!r} not found ({e})") from None
    if not callable(fn):
        raise CatalogueError(f"{source}: {what} {name!r} is not a function")
    return fn


@dataclass(frozen=True)
class Deviation:
    id: str
    backends: tuple[str, ...]
    properties: tuple[str, ...]
    observed: str
    api: str
    spec: str
    behaviour: str
    reason: str
    examples: tuple[Example, ...]
    source: str
    dtypes: tuple[str, ...] | None = None
    devices: tuple[str, ...] | None = None
    match: str | None = None
    raises: str | None = None
    region: str = EVERYWHERE
    region_args: dict[str, Any] = field(default_factory=dict)
    region_doc: str | None = None
    behaves: str | None = None
    kind: str | None = None               # the entry's `class` (a keyword in Python)
    class_why: str | None = None
    upstream: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    # -- which items -------------------------------------------------------------------------------------------
    def applies(self, backend: str, prop: str, device: str, dtype: str) -> bool:
        return (
            any(fnmatch.fnmatchcase(backend, b) for b in self.backends)
            and prop in self.properties
            and (self.dtypes is None or dtype in self.dtypes)
            and (self.devices is None or device in self.devices)
        )

    def examples_for(self, backend: str, prop: str, dtype: str) -> list[Example]:
        return [e for e in self.examples if e.applies(backend, prop, dtype)]

    # -- where, and what it does there ----------------------------------------------------------------------------
    @property
    def everywhere(self) -> bool:
        return self.region == EVERYWHERE

    def region_fn(self) -> Callable[..., bool]:
        return _resolve(self.region, f"{__name__}.regions", "region", self.source)

    def behaves_fn(self) -> Callable[..., None] | None:
        return None if self.behaves is None else _resolve(self.behaves, f"{__name__}.behaviours", "behaviour",
                                                          self.source)

    def region_text(self) -> str:
        if self.region_doc:
            return self.region_doc
        if self.everywhere:
            return "every input of the properties it covers"
        doc = (self.region_fn().__doc__ or self.region).strip()
        return " ".join(doc.split("\n\n")[0].split())  # the docstring's first paragraph

    def in_region(self, case: Any, dtype: str) -> bool:
        return self.everywhere or bool(self.region_fn()(case, dtype, **self.region_args))

    @property
    def has_behaviour(self) -> bool:
        return self.behaves is not None or self.raises is not None

    def is_documented_failure(self, e: BaseException, match: str | None = None) -> bool:
        """Whether exception `e` is the documented one: the property's assertion or the `raises` class, and the
        `match` regex (an example's own, else the entry's)."""
        documented = isinstance(e, AssertionError) or (
            self.raises is not None and any(c.__name__ == self.raises for c in type(e).__mro__))
        pattern = match or self.match
        return documented and (pattern is None or re.search(pattern, f"{type(e).__name__}: {e}") is not None)

    def as_record(self) -> dict[str, Any]:
        """The entry as the report shows it."""
        return {"id": self.id, "backend": ", ".join(self.backends),
                "property": ", ".join(self.properties), "observed": self.observed,
                "api": self.api, "spec": self.spec, "behaviour": self.behaviour, "reason": self.reason,
                "region": self.region, "region_text": self.region_text(), "behaves": self.behaves or self.raises,
                "example": self.examples[0].case if self.examples else None, "source": self.source,
                "class": self.kind, "class_why": self.class_why, "upstream": dict(self.upstream),
                "dtypes": list(self.dtypes) if self.dtypes else None}


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or not all(isinstance(v, str) for v in values):
        raise CatalogueError(f"{where}: {key!r} must be a string or a non-empty list of strings")
    return values


def _examples(entry: dict[str, Any], where: str) -> tuple[Example, ...]:
    out = []
    if "example" in entry:
        out.append(Example(case=entry["example"]))
    for i, ex in enumerate(entry.get("examples", [])):
        if "case" not in ex:
            raise CatalogueError(f"{where}: examples[{i}] lacks case")
        out.append(Example(case=ex["case"], property=ex.get("property"),
                           dtypes=tuple(ex["dtypes"]) if "dtypes" in ex else None, backend=ex.get("backend"),
                           match=ex.get("match")))
    if not out:
        raise CatalogueError(f"{where} lacks example (or examples)")
    return tuple(out)


def parse(text: str, source: str) -> list[Deviation]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CatalogueError(f"{source}: not valid TOML: {e}") from None
    out = []
    for i, entry in enumerate(data.get("deviation", [])):
        where = f"{source}: deviation #{i + 1} ({entry.get('id', '?')})"
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise CatalogueError(f"{where} lacks {', '.join(missing)}")
        examples = _examples(entry, where)
        props = _strings(entry["property"], "property", where)
        for ex in examples:
            if ex.property is not None and ex.property not in props:
                raise CatalogueError(f"{where}: an example names property {ex.property!r}, which the entry lacks")
        known = {*REQUIRED, *OPTIONAL}
        dev = Deviation(
            **{k: entry[k] for k in REQUIRED if k not in ("backend", "property")},
            backends=_strings(entry["backend"], "backend", where),
            properties=props,
            examples=examples,
            source=source,
            dtypes=tuple(entry["dtypes"]) if "dtypes" in entry else None,
            devices=tuple(entry["devices"]) if "devices" in entry else None,
            match=entry.get("match"),
            raises=entry.get("raises"),
            region=entry.get("region", EVERYWHERE),
            region_args=dict(entry.get("region_args", {})),
            region_doc=entry.get("region_doc"),
            behaves=entry.get("behaves"),
            kind=entry.get("class"),
            class_why=entry.get("class_why"),
            upstream=dict(entry.get("upstream", {})),
            extra={k: v for k, v in entry.items() if k not in known},
        )
        if dev.kind is not None and dev.kind not in CLASSES:
            raise CatalogueError(f"{where}: class {dev.kind!r} is not one of {', '.join(CLASSES)}")
        if dev.upstream and dev.upstream.get("status") not in STATUSES:
            raise CatalogueError(f"{where}: upstream.status must be one of {', '.join(STATUSES)}")
        if not dev.everywhere:
            dev.region_fn()  # fail at load time, with the entry's name, not in the middle of a search
        dev.behaves_fn()
        out.append(dev)
    return out


def load(extra_files: tuple[Path, ...] = ()) -> list[Deviation]:
    """Every catalogue shipped with dlspec, plus `extra_files` (an out-of-tree backend's own catalogue)."""
    entries: list[Deviation] = []
    for f in sorted(resources.files(__package__).iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            entries += parse(f.read_text(encoding="utf-8"), f"deviations/{f.name}")
    for path in extra_files:
        entries += parse(Path(path).read_text(encoding="utf-8"), str(path))
    seen: dict[str, str] = {}
    for d in entries:
        if d.id in seen:
            raise CatalogueError(f"{d.source}: duplicate deviation id {d.id!r} (also in {seen[d.id]})")
        seen[d.id] = d.source
    return entries
