"""The executable specification: one module per formula family, plain NumPy in float64.

Each module lists in `OPS` the functions a backend may implement with the same signature (plus keyword-only
`device`); its other public functions (output-size formulas, parameter counts of whole networks, closed forms
used only by properties) are specification alone. `OPS` below maps every operation name to its spec function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import (
    architectures,
    batch_norm,
    conv,
    cross_entropy,
    iou,
    kl,
    norms,
    pooling,
    sigmoid,
    softmax,
)

FAMILIES = (batch_norm, norms, softmax, cross_entropy, sigmoid, kl, conv, pooling, iou, architectures)

OPS: dict[str, Callable[..., Any]] = {name: getattr(mod, name) for mod in FAMILIES for name in mod.OPS}
"""Operation name → spec function. The backend interface (impls/README.md) is this table."""

FAMILY_OF: dict[str, str] = {name: mod.__name__.rsplit(".", 1)[1] for mod in FAMILIES for name in mod.OPS}
"""Operation name → family module name, for grouping in reports and benchmarks."""
