"""JAX through jax.nn (softmax, log_softmax, sigmoid, standardize), with jax.vjp for every gradient. Each op is
jitted once; static arguments (axes, eps) are part of the cache key, so a run compiles once per shape bucket."""

from __future__ import annotations

from functools import partial

import jax

from . import _jax as J

NAME = "jax:nn"
VERSION = jax.__version__
DEVICES = J.DEVICES
DTYPES = J.DTYPES
environment = J.environment


def skip_reason(op, device, dtype):
    return J.device_skip_reason(device)


# --- softmax ----------------------------------------------------------------------------------------------------------

@partial(jax.jit, static_argnames="axis")
def _softmax(x, axis):
    return jax.nn.softmax(x, axis=axis)


@partial(jax.jit, static_argnames="axis")
def _log_softmax(x, axis):
    return jax.nn.log_softmax(x, axis=axis)


@partial(jax.jit, static_argnames="axis")
def _softmax_vjp(x, dy, axis):
    return J.vjp(partial(jax.nn.softmax, axis=axis), (x,), dy)[0]


@partial(jax.jit, static_argnames="axis")
def _log_softmax_vjp(x, dy, axis):
    return J.vjp(partial(jax.nn.log_softmax, axis=axis), (x,), dy)[0]


def softmax(x, *, axis=-1, device):
    return J.array(_softmax(J.put(x, device), axis % x.ndim))  # one jit cache entry per axis


def log_softmax(x, *, axis=-1, device):
    return J.array(_log_softmax(J.put(x, device), axis % x.ndim))  # one jit cache entry per axis


def softmax_vjp(x, dy, *, axis=-1, device):
    return J.array(_softmax_vjp(J.put(x, device), J.put(dy, device), axis % x.ndim))


def log_softmax_vjp(x, dy, *, axis=-1, device):
    return J.array(_log_softmax_vjp(J.put(x, device), J.put(dy, device), axis % x.ndim))


# --- sigmoid ----------------------------------------------------------------------------------------------------------

@jax.jit
def _sigmoid(x):
    return jax.nn.sigmoid(x)


@jax.jit
def _sigmoid_vjp(x, dy):
    return J.vjp(jax.nn.sigmoid, (x,), dy)[0]


def sigmoid(x, *, device):
    return J.array(_sigmoid(J.put(x, device)))


def sigmoid_vjp(x, dy, *, device):
    return J.array(_sigmoid_vjp(J.put(x, device), J.put(dy, device)))


# --- norms ------------------------------------------------------------------------------------------------------------
# jax.nn.standardize with its default algorithm (what users get); epsilon static, so a Python float, weakly typed,
# never promotes float16 inputs.

@partial(jax.jit, static_argnames=("axis", "eps"))
def _standardize(x, axis, eps):
    return jax.nn.standardize(x, axis=axis, epsilon=eps)


def standardize(x, *, axis=-1, eps=1e-5, device):
    axes = (int(axis),) if isinstance(axis, int) else tuple(int(a) for a in axis)
    return J.array(_standardize(J.put(x, device), tuple(sorted(a % x.ndim for a in axes)), float(eps)))
