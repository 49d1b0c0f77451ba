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


# --- inferior algorithms and reach: each a behaviour seen in a real kernel --------------------------------------------

def _acc(x):
    return np.float32 if x.dtype == np.float16 else x.dtype


def _running_sum(v, axis):
    """A sequential sum in v's own dtype (a scalar loop with a 16-bit accumulator): the last partial sum."""
    return np.take(np.cumsum(v, axis=axis, dtype=v.dtype), [-1], axis=axis)


@mutant("log-softmax-rounded-lse",
        "z − (max + log Σ e^{z−max}) with the normaliser rounded first: it rounds away at large |z| "
        "(ml-explore/mlx#4169; PyTorch's CPU kernel until pytorch/pytorch#11866 and #21672)")
def log_softmax(x, *, axis=-1, device):  # noqa: F811
    return _rounded_log_softmax(x, axis).astype(x.dtype)


@mutant("softmax-exp-of-rounded-lse",
        "exp(z − lse(z)) with lse = max + log Σ rounded first: relative error ε|max z| "
        "(the composition of ml-explore/mlx#4169 and dynestyx#183, exponentiated)")
def softmax(x, *, axis=-1, device):  # noqa: F811
    return np.exp(_rounded_log_softmax(x, axis)).astype(x.dtype)


def _rounded_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    with np.errstate(over="ignore"):
        s = np.exp(x - m).sum(axis=axis, keepdims=True, dtype=_acc(x))
        return x - (m + np.log(s)).astype(x.dtype)


@mutant("softmax-16-bit-running-sum",
        "Σ e^{z−max} accumulated sequentially in the input dtype: a float16 sum stalls at 2048 on long rows "
        "(sonos/tract#2586, huggingface/candle#3727)")
def softmax(x, *, axis=-1, device):  # noqa: F811
    with np.errstate(over="ignore"):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / _running_sum(e, axis)).astype(x.dtype)


@mutant("log-softmax-16-bit-running-sum",
        "log-softmax whose Σ e^{z−max} is accumulated in the input dtype (pytorch/executorch#20090: softmax and "
        "log_softmax accumulated Half/BFloat16 reductions in the input dtype)")
def log_softmax(x, *, axis=-1, device):  # noqa: F811
    with np.errstate(over="ignore"):
        shifted = x - x.max(axis=axis, keepdims=True)
    return (shifted - np.log(_running_sum(np.exp(shifted), axis))).astype(x.dtype)


@mutant("log-softmax-vjp-16-bit-accumulator",
        "log-softmax backward dy − y·Σdy with Σdy accumulated in float16 (ROCm/MIOpen#3427: "
        "`fp16 += fp16*fp16` in the softmax-log backward)")
def log_softmax_vjp(x, dy, *, axis=-1, device):
    y = base.softmax(x, axis=axis, device=device)
    return (dy - y * _running_sum(dy, axis)).astype(x.dtype)


@mutant("softmax-odd-width-drops-tail",
        "rows of odd width 512 < n < 1024 (n mod 32 != 31), two or more rows: the last partial warp is left out "
        "of the sum, so rows do not sum to 1 (pytorch/pytorch#147284, CUDA softmax)")
def softmax(x, *, axis=-1, device):  # noqa: F811
    ax = axis % x.ndim
    n = x.shape[ax]
    with np.errstate(over="ignore"):
        e = np.exp(x - x.max(axis=ax, keepdims=True))
    rows = x.size // max(n, 1)
    if rows >= 2 and 512 < n < 1024 and n % 2 == 1 and n % 32 != 31:
        kept = np.take(e, np.arange(n - n % 32), axis=ax)
        return (e / kept.sum(axis=ax, keepdims=True, dtype=_acc(x))).astype(x.dtype)
    return (e / e.sum(axis=ax, keepdims=True, dtype=_acc(x))).astype(x.dtype)


@mutant("log-softmax-without-max-subtraction",
        "z − log Σ e^{z}: e^{z} overflows to inf (NaN or −inf out) for large logits "
        "(tenstorrent/tt-metal#10001, moreh_logsoftmax)")
def log_softmax(x, *, axis=-1, device):  # noqa: F811
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return (x - np.log(np.exp(x.astype(_acc(x))).sum(axis=axis, keepdims=True))).astype(x.dtype)
