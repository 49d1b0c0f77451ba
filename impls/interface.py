"""What a backend is, and the checks that turn a wrong one into a clear error instead of a traceback.

A backend is any module (or object) with these attributes:

    NAME: str                 "framework:api", e.g. "torch:functional"; the framework part groups columns
    VERSION: str              the framework's version, shown in reports and matched against the catalogue
    DEVICES: tuple[str, ...]  devices it knows, e.g. ("cpu", "cuda")
    DTYPES: tuple[str, ...]   subset of ("float16", "bfloat16", "float32", "float64")
    skip_reason(op, device, dtype) -> str | None     optional: why a combination cannot run here
    environment() -> dict[str, str]                  optional: settings in force (TF32, cuDNN, x64, ...)

and any subset of the operations in `dlspec.spec.OPS`, each a function with the spec function's parameters
plus a keyword-only `device`. Operations receive NumPy arrays already in the dtype under test (bfloat16 as
`ml_dtypes.bfloat16`; integer arrays such as labels as int64) and return NumPy arrays. An operation that cannot
run a combination raises `Unsupported` with the reason; the suite reports it as a skip.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..dtypes import FLOAT_DTYPES


class Unsupported(Exception):
    """Raised by an operation for an input, dtype or device its framework does not support (a skip)."""


class BackendError(Exception):
    """A backend that cannot be used: it does not import, is not a backend, or an op has the wrong signature."""


@dataclass
class Backend:
    """A validated backend: its metadata and the operations it provides."""

    name: str
    version: str
    devices: tuple[str, ...]
    dtypes: tuple[str, ...]
    ops: dict[str, Callable[..., Any]]
    origin: str
    _skip_reason: Callable[[str, str, str], str | None] | None = field(default=None, repr=False)
    _environment: Callable[[], dict[str, str]] | None = field(default=None, repr=False)

    @property
    def framework(self) -> str:
        return self.name.split(":", 1)[0]

    def skip_reason(self, op: str, device: str, dtype: str) -> str | None:
        """Why `op` cannot run on `device` in `dtype` with this backend, or None if it can."""
        if op not in self.ops:
            return f"{self.name} does not provide {op!r}"
        if device not in self.devices:
            return f"{self.name} has no device {device!r} (it has {', '.join(self.devices)})"
        if dtype not in self.dtypes:
            return f"{self.name} does not support {dtype} (it supports {', '.join(self.dtypes)})"
        return self._skip_reason(op, device, dtype) if self._skip_reason else None

    def environment(self) -> dict[str, str]:
        return dict(self._environment()) if self._environment else {}


def _expected_parameters(spec_fn: Callable[..., Any]) -> list[tuple[str, Any]]:
    sig = inspect.signature(spec_fn)
    return [(p.name, p.kind) for p in sig.parameters.values()] + [("device", inspect.Parameter.KEYWORD_ONLY)]


def check_signature(op: str, fn: Callable[..., Any], spec_fn: Callable[..., Any], origin: str) -> None:
    """The op must take the spec's parameters, in the same order and kind, plus keyword-only `device`."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError) as e:
        raise BackendError(f"{origin}: {op} has no inspectable signature ({e})") from None
    got = [(p.name, p.kind) for p in params]
    want = _expected_parameters(spec_fn)

    def show(ps: list[tuple[str, Any]]) -> str:
        out, star = [], False
        for name, kind in ps:
            if kind is inspect.Parameter.KEYWORD_ONLY and not star:
                out.append("*")
                star = True
            out.append(name)
        return f"({', '.join(out)})"

    if got != want:
        raise BackendError(
            f"{origin}: {op}{show(got)} does not match the spec's signature {op}{show(want)}; "
            f"see `dlspec.spec.OPS[{op!r}]` for its parameters"
        )


def from_module(obj: ModuleType | object, origin: str, ops_table: dict[str, Callable[..., Any]]) -> Backend:
    """Validate a module (or object) as a backend."""
    missing = [a for a in ("NAME", "VERSION", "DEVICES", "DTYPES") if not hasattr(obj, a)]
    if missing:
        raise BackendError(
            f"{origin} is not a dlspec backend: it lacks {', '.join(missing)} "
            "(see impls/README.md for the interface)"
        )
    name, version = obj.NAME, obj.VERSION
    if not isinstance(name, str) or not name or any(c in name for c in " []/"):
        raise BackendError(f"{origin}: NAME must be a non-empty string without spaces, brackets or '/', got {name!r}")
    devices, dtypes = tuple(obj.DEVICES), tuple(obj.DTYPES)
    bad = [d for d in dtypes if d not in FLOAT_DTYPES]
    if bad:
        raise BackendError(f"{origin}: DTYPES has {bad}, expected a subset of {list(FLOAT_DTYPES)}")
    if not devices or not all(isinstance(d, str) and d for d in devices):
        raise BackendError(f"{origin}: DEVICES must list device names such as 'cpu', got {devices!r}")
    ops = {}
    for op, spec_fn in ops_table.items():
        fn = getattr(obj, op, None)
        if fn is None:
            continue
        if not callable(fn):
            raise BackendError(f"{origin}: {op} is not callable")
        check_signature(op, fn, spec_fn, origin)
        ops[op] = fn
    return Backend(
        name=name,
        version=str(version),
        devices=devices,
        dtypes=dtypes,
        ops=ops,
        origin=origin,
        _skip_reason=getattr(obj, "skip_reason", None),
        _environment=getattr(obj, "environment", None),
    )
