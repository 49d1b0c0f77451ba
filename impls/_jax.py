"""Conversions shared by the JAX adapters (jax, flax, optax): devices, dtypes, jit caching, vjp."""

from __future__ import annotations

import os
from pathlib import Path

import jax

# float64 is part of the audit; JAX keeps it off unless asked (its convention), so the adapters ask, once,
# before any array exists. Recorded in environment() so reports show it.
jax.config.update("jax_enable_x64", True)

# Every new shape or geometry costs JAX a compilation (80–320 ms on CPU; ../shared/NOTES.md). The persistent
# cache lets xdist workers, later runs and the benchmark reuse what one process compiled. DLSPEC_JAX_CACHE=""
# turns it off; a user's own jax_compilation_cache_dir setting is left alone.
_CACHE = os.environ.get("DLSPEC_JAX_CACHE", str(Path.home() / ".cache" / "dlspec" / "jax"))
if _CACHE and jax.config.jax_compilation_cache_dir is None:
    jax.config.update("jax_compilation_cache_dir", _CACHE)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

DTYPES = ("float16", "bfloat16", "float32", "float64")
DEVICES = ("cpu", "cuda")


def _devices(device: str) -> list:
    try:
        return jax.devices(device)
    except RuntimeError:
        return []


def device_skip_reason(device: str) -> str | None:
    if not _devices(device):
        return f"jax {jax.__version__} has no {device} device here (backends: {jax.default_backend()})"
    return None


def environment() -> dict[str, str]:
    return {"jax_enable_x64": str(jax.config.jax_enable_x64), "backend": jax.default_backend(),
            "compilation_cache": str(jax.config.jax_compilation_cache_dir)}


def put(x: np.ndarray, device: str) -> jax.Array:
    return jax.device_put(jnp.asarray(x), _devices(device)[0])


def array(y: jax.Array) -> np.ndarray:
    return np.asarray(y)


def vjp(fn, primals, dy):
    """Reverse mode through jax.vjp: the gradients of ⟨dy, fn(*primals)⟩ for every primal."""
    out, pullback = jax.vjp(fn, *primals)
    return pullback(dy.astype(out.dtype))
