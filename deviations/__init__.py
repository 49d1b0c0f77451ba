"""The deviation catalogue: documented disagreements of a framework with the spec, one TOML file per framework.

Each entry turns the matching test items into strict expected failures. When such an item runs, the entry's
minimal `example` is replayed first, outside Hypothesis:
  * the property fails on it (and the message matches `match`, if given): the deviation is confirmed — XFAIL,
    and no search is spent on it;
  * it passes: the framework may have changed, so the full Hypothesis search runs; if that passes too the item
    XPASSes, which strict makes red ("the deviation is gone: update the catalogue"); if the search finds some
    other failure, that failure is reported as a plain FAIL, since it is not the documented one.

Entry fields (all strings unless said):
  id          stable short name                      backend     backend name, or a glob ("torch:*")
  property    property name (without "test_")        dtypes      list, optional (default: every dtype)
  devices     list, optional (default: every device) observed    framework version(s) it was seen with
  api         the public API that deviates           spec        what the spec says
  behaviour   what the framework does                reason      one line, shown as the xfail reason
  example     table: the minimal Case (lists become arrays)
  match       optional regex the failure message must contain
  raises      optional exception class name (e.g. "RuntimeError") that also confirms the deviation
"""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (a dependency there)
    import tomli as tomllib

REQUIRED = ("id", "backend", "property", "observed", "api", "spec", "behaviour", "reason", "example")


class CatalogueError(Exception):
    """A catalogue file that cannot be used: bad TOML, a missing field, a duplicate id."""


@dataclass(frozen=True)
class Deviation:
    id: str
    backend: str
    property: str
    observed: str
    api: str
    spec: str
    behaviour: str
    reason: str
    example: dict[str, Any]
    source: str
    dtypes: tuple[str, ...] | None = None
    devices: tuple[str, ...] | None = None
    match: str | None = None
    raises: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def applies(self, backend: str, prop: str, device: str, dtype: str) -> bool:
        return (
            fnmatch.fnmatchcase(backend, self.backend)
            and prop == self.property
            and (self.dtypes is None or dtype in self.dtypes)
            and (self.devices is None or device in self.devices)
        )


CAUSE_REQUIRED = ("id", "backend", "property", "observed", "api", "spec", "behaviour", "reason", "region",
                  "region_doc", "examples")


def _as_list(v: str | list[str]) -> list[str]:
    return [v] if isinstance(v, str) else list(v)


def _expand_cause(entry: dict[str, Any], source: str, i: int) -> list[dict[str, Any]]:
    """An entry of one cause (region, several properties/backends, `[[deviation.examples]]`) as one single-example
    entry per example and backend glob, so that the one-example replay keeps working until the region-routing
    plugin lands (the lead's parser replaces this; nothing of the entry is lost: the rest stays in `extra`)."""
    missing = [k for k in CAUSE_REQUIRED if k not in entry]
    if missing:
        raise CatalogueError(f"{source}: deviation #{i + 1} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
    props = _as_list(entry["property"])
    out = []
    for k, ex in enumerate(entry["examples"]):
        if ex.get("property") not in props:
            raise CatalogueError(f"{source}: {entry['id']} example #{k + 1} names property {ex.get('property')!r}, "
                                 f"not one of the entry's {props}")
        for backend in _as_list(ex.get("backend", entry["backend"])):
            flat = {key: v for key, v in entry.items() if key not in ("examples", "backend", "property")}
            flat.update(id=f"{entry['id']}[{k + 1}]" + (f"{{{backend}}}" if not isinstance(entry["backend"], str)
                                                         and "backend" not in ex else ""),
                        backend=backend, property=ex["property"], example=ex["case"], cause=entry["id"])
            for key in ("dtypes", "devices", "match", "raises"):
                if key in ex:
                    flat[key] = ex[key]
            out.append(flat)
    return out


def parse(text: str, source: str) -> list[Deviation]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CatalogueError(f"{source}: not valid TOML: {e}") from None
    out = []
    entries = []
    for i, entry in enumerate(data.get("deviation", [])):
        entries += _expand_cause(entry, source, i) if "examples" in entry else [entry]
    for i, entry in enumerate(entries):
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise CatalogueError(f"{source}: deviation #{i + 1} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
        known = {*REQUIRED, "dtypes", "devices", "match", "raises"}
        out.append(Deviation(
            **{k: entry[k] for k in REQUIRED},
            source=source,
            dtypes=tuple(entry["dtypes"]) if "dtypes" in entry else None,
            devices=tuple(entry["devices"]) if "devices" in entry else None,
            match=entry.get("match"),
            raises=entry.get("raises"),
            extra={k: v for k, v in entry.items() if k not in known},
        ))
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
