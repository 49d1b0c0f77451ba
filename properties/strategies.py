"""Strategy building blocks, named for what they make. Family modules compose these into their cases.

Input generation is a hybrid (measured in ../shared/NOTES.md): Hypothesis draws the structure — a shape from
a fixed bucket list, a seed, a magnitude exponent, an offset, and which special values to inject — and a NumPy
generator fills the bulk from the seed. Element-by-element array strategies cost ~9 ms an example; seed-only
data is blind to extremes (a softmax without max subtraction survived 2,000 standard-normal examples). Drawing
the exponent and the injections from Hypothesis keeps its bias towards extremes and its shrinking: a failure
shrinks to the first shape bucket, exponent 0, no offset and no injection whenever those still fail.

Shapes come from short fixed lists so that frameworks that compile per shape (JAX, tf.function) see few shapes.

Strategy objects are built once and reused (`cached`): Hypothesis validates every new strategy object it draws
from (emptiness, reusable values, argument checks); while composites built `sampled_from([...])` or
`float_arrays(...)` afresh on every call, that was a tenth of the NumPy backend's run time (cProfile). Reusing an
equal strategy changes no drawn value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
from hypothesis import strategies as st

from ..dtypes import max_value, round_to, tiny

_OFFSETS = st.sampled_from((0.0, 1.0, -1.0, 10.0, -10.0, 100.0, -100.0, 1000.0, -1000.0))

SPECIALS = ("none", "ties", "constant", "huge", "tiny", "signed_zero")
"""Special values a float array may have injected; "none" first so failures shrink towards plain data."""

EXPONENT_RANGE = {"float16": (-3, 3), "bfloat16": (-4, 4), "float32": (-6, 6), "float64": (-8, 8)}
"""Default magnitude exponents k (data scaled by 10^k) per dtype, kept well inside each dtype's range."""


F = TypeVar("F", bound=Callable[..., Any])


def cached(factory: F) -> F:
    """`factory` (a strategy factory with hashable arguments) returning one strategy object per argument set."""
    return lru_cache(maxsize=None)(factory)  # type: ignore[return-value]


@cached
def _sampled(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


def sampled_from(values: Sequence[Any]) -> st.SearchStrategy[Any]:
    """`st.sampled_from(values)`, one strategy object per distinct tuple of values (see `cached`)."""
    return _sampled(tuple(values))


integers = cached(st.integers)
"""`st.integers(lo, hi)`, one strategy object per range (Hypothesis' own cache costs more per call)."""


def shapes(buckets: Sequence[tuple[int, ...]]) -> st.SearchStrategy[tuple[int, ...]]:
    """One of `buckets`, shrinking towards the first (list them smallest first)."""
    return sampled_from(buckets)


_SEEDS = st.integers(0, 2**32 - 1)


def seeds() -> st.SearchStrategy[int]:
    return _SEEDS


@cached
@st.composite
def float_arrays(
    draw: st.DrawFn,
    shape: tuple[int, ...],
    dtype: str,
    *,
    exponents: tuple[int, int] | None = None,
    specials: Sequence[str] = SPECIALS,
    huge: float | None = None,
    positive: bool = False,
    offset: bool = False,
    axis: int | None = None,
) -> np.ndarray:
    """A float64 array of `shape` whose values are exactly representable in `dtype` and finite there.

    Bulk: seeded standard normal (|·| of it if `positive`), scaled by 10^k with k drawn from `exponents`
    (default: EXPONENT_RANGE[dtype]). `offset` adds a drawn constant c·10^k, c ∈ {0, ±1, ±10, ±100, ±1000}
    (large means relative to the spread: the condition that breaks one-pass variances). Injections, drawn:
      ties        some entries set equal to the array's maximum (or to each other)
      constant    one slice along `axis` (default: the last) made constant — zero variance, equal logits
      huge        a few entries set to ±`huge` (default: 1% of the dtype's max)
      tiny        a few entries set to ± the dtype's smallest normal
      signed_zero a few entries set to -0.0 / +0.0
    Shrinks towards: seed 0, exponent 0, no offset, no injection.
    """
    lo, hi = exponents if exponents is not None else EXPONENT_RANGE[dtype]
    seed = draw(seeds(), label="seed")
    k = draw(integers(lo, hi), label="exponent")
    c = draw(_OFFSETS, label="offset") \
        if offset else 0.0
    special = draw(sampled_from(specials), label="special") if specials else "none"

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if positive:
        x = np.abs(x)
    x = (x + c) * 10.0**k
    n = x.size
    if n and special != "none":
        flat = x.reshape(-1)
        picks = rng.choice(n, size=max(1, n // 4), replace=False)
        if special == "ties":
            flat[picks] = flat.max()
        elif special == "constant":
            ax = (x.ndim - 1) if axis is None else axis % x.ndim
            # one line along `ax`, at a random position in the other axes, becomes constant
            others = [rng.integers(0, s) for s in x.shape]
            line = tuple(slice(None) if d == ax else others[d] for d in range(x.ndim))
            x[line] = x[tuple(others)]
        elif special == "huge":
            big = huge if huge is not None else 0.01 * max_value(dtype)
            flat[picks] = big * np.where(rng.random(picks.size) < 0.5, -1.0, 1.0)
        elif special == "tiny":
            flat[picks] = tiny(dtype) * np.where(rng.random(picks.size) < 0.5, -1.0, 1.0)
        elif special == "signed_zero":
            flat[picks] = np.where(rng.random(picks.size) < 0.5, -0.0, 0.0)
    if positive:
        x = np.abs(x)
    limit = max_value(dtype)
    x = np.clip(round_to(np.clip(x, -limit, limit), dtype), -limit, limit)
    return x


# --- rare size classes (issue 10, "Reach") --------------------------------------------------------------------------

LONG_LENGTHS = (17, 33, 65, 129, 257, 513, 1025, 2049, 4097)
"""Reduced-axis lengths at and just past vector widths and block sizes, where kernels change code path."""

RARE_ONE_IN = 8
"""A rare class is drawn about once in RARE_ONE_IN examples (the issue's budget: ≈ 1 in 8–10)."""


@cached
def rare_gate(one_in: int = RARE_ONE_IN) -> st.SearchStrategy[bool]:
    """True about once in `one_in` draws, shrinking to False.

    The gate is an integer in [0, one_in) and True is the value 1, not an end of the range: Hypothesis draws
    the ends of a bounded range far more often than 1/one_in (measured: the top value 25 times in the first 100
    examples of the CI profile for one_in = 8, 10 or 12; the value 1 about 10 times)."""
    if one_in < 2:
        raise ValueError("rare_gate: one_in must be >= 2")
    return integers(0, one_in - 1).map(lambda g: g == 1)


@cached
@st.composite
def rarely(draw: st.DrawFn, common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], *,
           one_in: int = RARE_ONE_IN, label: str = "rare bucket") -> Any:
    """A draw from `rare` in about 1 example of `one_in` (`rare_gate`), else from `common`; shrinks towards
    `common`, so a failure that does not need the rare bucket shrinks out of it."""
    return draw(rare) if draw(rare_gate(one_in), label=label) else draw(common)


def rare_buckets(common: Sequence[Any], rare: Sequence[Any], *, one_in: int = RARE_ONE_IN
                 ) -> st.SearchStrategy[Any]:
    """One of `common` (smallest first) most of the time, one of `rare` (long axes, wide channels) about once in
    `one_in` draws (`rare_gate`). Shrinks towards the common buckets.

    >>> rare_buckets([(1, 8)], [(1, 1025)])  # (1, 8) about nine times in ten, (1, 1025) about once
    """
    if not common or not rare:
        raise ValueError("rare_buckets: needs common and rare buckets")
    return _rare_buckets(tuple(common), tuple(rare), one_in)


@cached
def _rare_buckets(common: tuple[Any, ...], rare: tuple[Any, ...], one_in: int) -> st.SearchStrategy[Any]:
    return rare_gate(one_in).flatmap(lambda hit: sampled_from(rare) if hit else sampled_from(common))

