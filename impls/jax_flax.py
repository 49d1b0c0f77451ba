"""JAX through Flax's layers (flax.linen BatchNorm with its running averages, LayerNorm, GroupNorm, and the
pooling functions avg_pool/max_pool), with jax.vjp for every gradient."""

from __future__ import annotations

import flax
import jax

from . import _jax as J

NAME = "jax:flax"
VERSION = f"flax {flax.__version__}, jax {jax.__version__}"
DEVICES = J.DEVICES
DTYPES = J.DTYPES
environment = J.environment


def skip_reason(op, device, dtype):
    return J.device_skip_reason(device)


# === batch_norm ===================================================================================
# (section owned by the batch_norm family)



# === norms ===================================================================================
# (section owned by the norms family)



# === conv ===================================================================================
# (section owned by the conv family)



# === pooling ===================================================================================
# (section owned by the pooling family)
import functools  # noqa: E402

import flax.linen  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from .interface import Unsupported  # noqa: E402


def _flax_geometry(kernel, stride, padding, ceil_mode, dilation=(1, 1)):
    """Hashable static geometry; flax.linen pooling has no ceil mode and no dilation."""
    if ceil_mode:
        raise Unsupported(f"flax {flax.__version__}: linen pooling has no ceil mode")
    if tuple(int(v) for v in dilation) != (1, 1):
        raise Unsupported(f"flax {flax.__version__}: linen.max_pool has no dilation")
    k = tuple(int(v) for v in kernel)
    s = k if stride is None else tuple(int(v) for v in stride)
    p = padding.upper() if isinstance(padding, str) else tuple((int(b), int(a)) for b, a in padding)
    return k, s, p


def _nhwc(fn, x, *args, **kwargs):
    # flax.linen pooling is channels-last (N, H, W, C): transpose in and out
    return jnp.transpose(fn(jnp.transpose(x, (0, 2, 3, 1)), *args, **kwargs), (0, 3, 1, 2))


def _flax_max(x, kernel, stride, padding):
    return _nhwc(flax.linen.max_pool, x, kernel, strides=stride, padding=padding)


def _flax_avg(x, kernel, stride, padding, count_include_pad):
    return _nhwc(flax.linen.avg_pool, x, kernel, strides=stride, padding=padding, count_include_pad=count_include_pad)


_static = ("kernel", "stride", "padding", "count_include_pad")


@functools.partial(jax.jit, static_argnames=_static[:3])
def _flax_max_pool(x, kernel, stride, padding):
    return _flax_max(x, kernel, stride, padding)


@functools.partial(jax.jit, static_argnames=_static[:3])
def _flax_max_pool_vjp(x, dy, kernel, stride, padding):
    return J.vjp(functools.partial(_flax_max, kernel=kernel, stride=stride, padding=padding), (x,), dy)[0]


@functools.partial(jax.jit, static_argnames=_static)
def _flax_avg_pool(x, kernel, stride, padding, count_include_pad):
    return _flax_avg(x, kernel, stride, padding, count_include_pad)


@functools.partial(jax.jit, static_argnames=_static)
def _flax_avg_pool_vjp(x, dy, kernel, stride, padding, count_include_pad):
    f = functools.partial(_flax_avg, kernel=kernel, stride=stride, padding=padding,
                          count_include_pad=count_include_pad)
    return J.vjp(f, (x,), dy)[0]


def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):
    k, s, p = _flax_geometry(kernel, stride, padding, ceil_mode, dilation)
    return J.array(_flax_max_pool(J.put(x, device), k, s, p))


def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,
                   device):
    k, s, p = _flax_geometry(kernel, stride, padding, ceil_mode, dilation)
    return J.array(_flax_max_pool_vjp(J.put(x, device), J.put(dy, device), k, s, p))


def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,
               device):
    k, s, p = _flax_geometry(kernel, stride, padding, ceil_mode)
    return J.array(_flax_avg_pool(J.put(x, device), k, s, p, bool(count_include_pad)))


def avg_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False,
                   count_include_pad=True, device):
    k, s, p = _flax_geometry(kernel, stride, padding, ceil_mode)
    return J.array(_flax_avg_pool_vjp(J.put(x, device), J.put(dy, device), k, s, p, bool(count_include_pad)))

