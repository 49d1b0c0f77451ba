"""Conversions shared by the JAX adapters (jax, flax, optax): devices, dtypes, jit caching, vjp."""

from __future__ import annotations

import jax

# float64 is part of the audit; JAX keeps it off unless asked (its convention), so the adapters ask, once,
# before any array exists. Recorded in environment() so reports show it.
jax.config.update("jax_enable_x64", True)

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
    return {"jax_enable_x64": str(jax.config.jax_enable_x64), "backend": jax.default_backend()}


def put(x: np.ndarray, device: str) -> jax.Array:
    return jax.device_put(jnp.asarray(x), _devices(device)[0])


def array(y: jax.Array) -> np.ndarray:
    return np.asarray(y)


def vjp(fn, primals, dy):
    """Reverse mode through jax.vjp: the gradients of ⟨dy, fn(*primals)⟩ for every primal."""
    out, pullback = jax.vjp(fn, *primals)
    return pullback(dy.astype(out.dtype))
