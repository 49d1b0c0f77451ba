"""Mutants of the softmax family."""

from __future__ import annotations

import numpy as np

from ..impls import numpy_ as base
from . import mutant


@mutant("softmax-without-max-subtraction", "exp(z)/Σexp(z) with no shift: overflows to inf/nan for large logits")
def softmax(x, *, axis=-1, device):
    e = np.exp(x)
    return (e / e.sum(axis=axis, keepdims=True)).astype(x.dtype)


@mutant("log-softmax-as-log-of-softmax", "log(softmax(z)): −inf wherever softmax underflows")
def log_softmax(x, *, axis=-1, device):
    with np.errstate(divide="ignore"):
        return np.log(base.softmax(x, axis=axis, device=device))


@mutant("softmax-vjp-without-correction", "J^T dy taken as y ⊙ dy, dropping the −y⟨dy, y⟩ term")
def softmax_vjp(x, dy, *, axis=-1, device):
    return (base.softmax(x, axis=axis, device=device) * dy).astype(x.dtype)


@mutant("softmax-on-the-first-axis", "normalises along axis 0 whatever axis is asked for")
def softmax(x, *, axis=-1, device):  # noqa: F811  (a different mutant of the same op)
    return base.softmax(x, axis=0, device=device)
