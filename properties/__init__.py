"""Hypothesis strategies, error models and the properties of every formula family (one module per family)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .harness import Property

_INFRASTRUCTURE = {"assertions", "gradients", "harness", "strategies", "tolerance"}


@cache
def all_properties() -> tuple[Property, ...]:
    """Every property of every family module, in module then definition order."""
    found: list[Property] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name in _INFRASTRUCTURE or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found += [v for v in vars(module).values() if isinstance(v, Property)]
    return tuple(found)
