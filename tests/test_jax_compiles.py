"""JAX compiles per shape: the adapters jit once per shape bucket and static argument set, so a second search over
the same cases compiles nothing. Counted with `jax_log_compiles` (the benchmark prints the same counts per family);
an adapter that built a fresh jitted function per call would compile on every example and fail here."""

from __future__ import annotations

import logging

import pytest

from dlspec.bench import _CompileCounter, _run
from dlspec.impls import load
from dlspec.properties import all_properties
from dlspec.properties.harness import Impl

jax = pytest.importorskip("jax")

CASES = [("jax:nn", "softmax_matches_spec"), ("jax:lax", "conv2d_matches_spec"),
         ("jax:optax", "softmax_cross_entropy_grad_matches_spec"), ("jax:flax", "max_pool2d_matches_spec")]


@pytest.fixture
def compiles():
    counter = _CompileCounter()
    log = logging.getLogger("jax")
    old = jax.config.jax_log_compiles
    jax.config.update("jax_log_compiles", True)
    log.addHandler(counter)
    try:
        yield counter
    finally:
        log.removeHandler(counter)
        jax.config.update("jax_log_compiles", old)


@pytest.mark.parametrize("backend,name", CASES, ids=[f"{b}-{n}" for b, n in CASES])
def test_a_second_search_over_the_same_cases_compiles_nothing(backend, name, compiles):
    b = load(backend)
    prop = {p.name: p for p in all_properties()}[name]
    if any(b.skip_reason(op, "cpu", "float32") for op in prop.ops):
        pytest.skip(f"{backend} does not provide {prop.ops}")
    n, _, outcome = _run(prop, Impl(b, "cpu", "float32"), 40)
    first = compiles.count
    assert outcome == "pass" and n == 40
    assert first < n, f"{first} compilations in {n} examples: one per example, not per shape bucket"
    _run(prop, Impl(b, "cpu", "float32"), 40)
    assert compiles.count == first, f"the same 40 cases compiled {compiles.count - first} more times"
