"""Assertion helpers: the op name first, their own frames hidden, and a message that says exactly what differs."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import np_dtype
from .harness import Impl
from .tolerance import Bound, compare


def _where(idx: tuple[int, ...]) -> str:
    return f"[{', '.join(map(str, idx))}]" if idx else ""


def assert_close(op: str, got: np.ndarray, want: np.ndarray, bound: Bound, *, impl: Impl,
                 what: str = "out") -> None:
    """Elementwise |got − want| within the bound; records the error for the report."""
    __tracebackhide__ = True
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{what}.shape={got.shape}, but should be {want.shape} [{op}({impl.id})]")
    c = compare(got, want, bound, impl.dtype)
    impl.stats.record(op, c.err_eps, c.used)
    if not c.ok:
        raise AssertionError(
            f"{what}{_where(c.worst)}={c.got!r}, but should be {c.want!r} ± {c.allowed:.3g} "
            f"[{op}({impl.id})]: error {c.err_eps:.3g} ε, {c.used:.3g}× its budget"
            + (f" ({bound.derivation})" if bound.derivation else "")
        )


def assert_equal(op: str, got: Any, want: Any, *, impl: Impl, what: str = "out") -> None:
    """Exact equality, for integer results (indices, sizes, counts) and exact identities."""
    __tracebackhide__ = True
    g, w = np.asarray(got), np.asarray(want)
    if g.shape != w.shape:
        raise AssertionError(f"{what}.shape={g.shape}, but should be {w.shape} [{op}({impl.id})]")
    if not np.array_equal(g, w, equal_nan=g.dtype.kind == "f" and w.dtype.kind == "f"):
        idx = tuple(int(i) for i in np.argwhere(g != w)[0]) if g.ndim else ()
        raise AssertionError(
            f"{what}{_where(idx)}={g[idx].item()!r}, but should be {w[idx].item()!r} [{op}({impl.id})]"
        )


def assert_output_dtype(op: str, out: Any, *, impl: Impl, what: str = "out") -> None:
    """A floating result has the dtype of the floating inputs (no silent promotion or demotion)."""
    __tracebackhide__ = True
    want = np_dtype(impl.dtype)
    got = np.asarray(out).dtype
    if got != want:
        raise AssertionError(f"{what}.dtype={got}, but should be {want} [{op}({impl.id})]")
