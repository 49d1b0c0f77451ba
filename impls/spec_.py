"""The spec itself as a backend, in float64: every property must hold for the reference it is written against.

A property that fails here is a wrong property (or a wrong spec), never a finding about a framework.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..spec import OPS

NAME = "spec"
VERSION = __version__
DEVICES = ("cpu",)
DTYPES = ("float64",)


def _as_op(fn: Callable[..., Any]) -> Callable[..., Any]:
    def op(*args: Any, device: str, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    sig = inspect.signature(fn)
    device = inspect.Parameter("device", inspect.Parameter.KEYWORD_ONLY)
    op.__signature__ = sig.replace(parameters=[*sig.parameters.values(), device])  # type: ignore[attr-defined]
    op.__name__ = fn.__name__
    op.__doc__ = fn.__doc__
    return op


globals().update({name: _as_op(fn) for name, fn in OPS.items()})
