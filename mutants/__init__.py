"""The mutant gallery: single-bug variants of the NumPy backend, each a mistake someone has made or would make.

A mutant is the NumPy backend with one or more operations replaced. Declare one in `mutants/<family>.py`:

    @mutant("softmax-without-max-subtraction", "exp(x)/Σexp(x): overflows for large logits")
    def softmax(x, *, axis=-1, device): ...

(several functions under one name make one mutant). It is then a backend like any other:
`--backends mutant:softmax-without-max-subtraction`. The suite must kill every mutant (tests/test_mutants.py).
"""

from __future__ import annotations

import importlib
import pkgutil
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Mutant:
    name: str
    description: str
    family: str
    ops: dict[str, Callable[..., Any]] = field(default_factory=dict)


_REGISTRY: dict[str, Mutant] = {}


def mutant(name: str, description: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as a replacement of the NumPy op of the same name, in mutant `name`."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        family = fn.__module__.rsplit(".", 1)[-1]
        m = _REGISTRY.setdefault(name, Mutant(name, description, family))
        if m.description != description:
            raise ValueError(f"mutant {name!r} is declared twice with different descriptions")
        m.ops[fn.__name__] = fn
        return fn

    return register


def all_mutants() -> dict[str, Mutant]:
    """Every mutant, from every module of this package."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(_REGISTRY)


def as_backend_module(name: str) -> types.SimpleNamespace:
    """The NumPy backend with mutant `name`'s operations swapped in, shaped like a backend module."""
    from ..impls import numpy_

    m = all_mutants().get(name)
    if m is None:
        raise KeyError(name)
    attrs = {k: v for k, v in vars(numpy_).items() if not k.startswith("__")}
    attrs.update(m.ops)
    attrs["NAME"] = f"mutant:{name}"
    return types.SimpleNamespace(**attrs)
