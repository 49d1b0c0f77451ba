"""The objects every property works with: a Case (one drawn input), an Impl (a backend on a device in a dtype),
and a Property (a sentence of the spec, its ops, and the strategy that draws its cases).

This module is free of pytest: the benchmark and the mutant runner call properties without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis.strategies import SearchStrategy

from ..dtypes import np_dtype
from ..impls.interface import Backend, BackendError, Unsupported


class Case:
    """One drawn input: named arrays and parameters. Its repr is Python (and TOML-like) you can paste.

    Float arrays hold float64 values already representable in the dtype under test; integer arrays are int64.
    """

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def fields(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __repr__(self) -> str:
        parts = []
        for k, v in self.__dict__.items():
            if isinstance(v, np.ndarray):
                v = v.tolist()  # shortest round-trip reprs of every float; ints stay ints
            parts.append(f"{k}={v!r}")
        return f"Case({', '.join(parts)})"

    @classmethod
    def from_example(cls, example: dict[str, Any]) -> Case:
        """A Case from a catalogue entry's `example` table (lists become arrays, floats stay float64)."""
        out = {}
        for k, v in example.items():
            if isinstance(v, list):
                a = np.asarray(v)
                out[k] = a.astype(np.int64) if a.dtype.kind in "iub" else a.astype(np.float64)
            else:
                out[k] = v
        return cls(**out)


@dataclass
class Stats:
    """What one test item observed, for the report: examples drawn, where each was checked (against the spec,
    against a catalogued behaviour, or counted inside a catalogued region without one), the largest error per
    operation, and the last case drawn (after a failure, Hypothesis' minimal counterexample)."""

    examples: int = 0
    err_eps: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)
    spec: int = 0
    behaviour: dict[str, int] = field(default_factory=dict)  # deviation id -> cases checked against its behaviour
    region: dict[str, int] = field(default_factory=dict)     # deviation id -> cases counted in its region, unchecked
    confirmed: list[str] = field(default_factory=list)       # deviation ids whose catalogued examples reproduced
    last_case: Any = None

    def record(self, op: str, err_eps: float, used: float) -> None:
        self.err_eps[op] = max(self.err_eps.get(op, 0.0), err_eps)
        self.used[op] = max(self.used.get(op, 0.0), used)


class Impl:
    """A backend bound to a device and a dtype. `impl("softmax", x, axis=-1)` calls the backend's op.

    Floating inputs are cast to the dtype under test before the call; outputs come back as float64 arrays
    (integer outputs as int64), so properties compare in float64. `impl.raw(...)` keeps the backend's dtypes.
    """

    def __init__(self, backend: Backend, device: str, dtype: str, deviations: tuple[Any, ...] = ()) -> None:
        self.backend = backend
        self.device = device
        self.dtype = dtype
        self.deviations = deviations  # the catalogue entries (dlspec.deviations.Deviation) covering this item
        self.stats = Stats()

    @property
    def id(self) -> str:
        return f"{self.backend.name}-{self.device}-{self.dtype}"

    def __repr__(self) -> str:
        return f"Impl({self.id})"

    def cast(self, value: Any) -> Any:
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return value.astype(np_dtype(self.dtype))
        return value

    def raw(self, op: str, *args: Any, **kwargs: Any) -> Any:
        fn = self.backend.ops.get(op)
        if fn is None:
            raise BackendError(f"{self.backend.name} does not provide {op!r}; the property must declare it in ops")
        try:
            out = fn(*(self.cast(a) for a in args), device=self.device,
                     **{k: self.cast(v) for k, v in kwargs.items()})
        except NotImplementedError:  # a stub of `dlspec new-backend`: not written yet, reported as a skip
            raise Unsupported(f"{self.backend.name}.{op} is not implemented yet (NotImplementedError)") from None
        _check_output(self.backend.name, op, out)
        return out

    def __call__(self, op: str, *args: Any, **kwargs: Any) -> Any:
        out = self.raw(op, *args, **kwargs)
        return tuple(_as_float64(o) for o in out) if isinstance(out, tuple) else _as_float64(out)


def _check_output(backend: str, op: str, out: Any) -> None:
    items = out if isinstance(out, tuple) else (out,)
    for o in items:
        if not isinstance(o, (np.ndarray, np.generic, int, float)):
            raise BackendError(
                f"{backend}.{op} returned {type(o).__module__}.{type(o).__name__}; "
                "operations must return NumPy arrays (convert with np.asarray)"
            )


def _as_float64(o: Any) -> Any:
    if isinstance(o, (int, np.integer)) or (isinstance(o, np.ndarray) and o.dtype.kind in "iub"):
        return np.asarray(o, dtype=np.int64)
    return np.asarray(o, dtype=np.float64)


@dataclass(frozen=True)
class Property:
    """One sentence of the spec, checked on an Impl with cases drawn from `cases(dtype)`."""

    name: str
    check: Callable[[Impl, Case], None]
    cases: Callable[[str], SearchStrategy]
    ops: tuple[str, ...]
    dtypes: tuple[str, ...] | None
    family: str
    doc: str

    def __call__(self, impl: Impl, case: Case) -> None:
        self.check(impl, case)


def prop(*ops: str, cases: Callable[[str], SearchStrategy], dtypes: tuple[str, ...] | None = None
         ) -> Callable[[Callable[[Impl, Case], None]], Property]:
    """Declare a property: the operations it calls on the backend and the strategy of its cases.

    `dtypes` restricts it to some dtypes (a property about shapes needs only one); None means every dtype
    the backend supports.
    """

    def wrap(fn: Callable[[Impl, Case], None]) -> Property:
        return Property(
            name=fn.__name__,
            check=fn,
            cases=cases,
            ops=tuple(ops),
            dtypes=dtypes,
            family=fn.__module__.rsplit(".", 1)[-1],
            doc=(fn.__doc__ or "").strip(),
        )

    return wrap
