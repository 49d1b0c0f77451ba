"""JAX through jax.lax (conv_general_dilated for convolution, reduce_window for pooling), with jax.vjp for every
gradient. Each op is jitted once; static arguments (geometry) are part of the cache key, so a run compiles once
per shape bucket."""

from __future__ import annotations

import jax

from . import _jax as J

NAME = "jax:lax"
VERSION = jax.__version__
DEVICES = J.DEVICES
DTYPES = J.DTYPES
environment = J.environment


def skip_reason(op, device, dtype):
    return J.device_skip_reason(device)


# === conv ===================================================================================
# (section owned by the conv family)



# === pooling ===================================================================================
# (section owned by the pooling family)
import functools  # noqa: E402

import jax.numpy as jnp  # noqa: E402

from .interface import Unsupported  # noqa: E402


def _lax_geometry(kernel, stride, padding, dilation, ceil_mode):
    """Hashable static geometry for jit; lax.reduce_window has no ceil mode (its windows must fit the padded
    input), so ceil_mode=True is outside its API."""
    if ceil_mode:
        raise Unsupported(f"jax {jax.__version__}: lax.reduce_window has no ceil mode")
    k = tuple(int(v) for v in kernel)
    s = k if stride is None else tuple(int(v) for v in stride)
    p = padding.upper() if isinstance(padding, str) else tuple((int(b), int(a)) for b, a in padding)
    return k, s, p, tuple(int(v) for v in dilation)


def _reduce_window_max(x, kernel, stride, padding, dilation):
    # NCHW: the window and strides are 1 over N and C; explicit padding is (before, after) per dimension;
    # 'SAME'/'VALID' are XLA's own (lax.padtype_to_pads, the extra cell after). The init value is the Python
    # constant −inf, as flax passes it: reduce_window recognises (max, −inf) as a monoid and differentiates it.
    pads = padding if isinstance(padding, str) else ((0, 0), (0, 0), *padding)
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, *kernel), (1, 1, *stride),
                                 pads, window_dilation=(1, 1, *dilation))


@functools.partial(jax.jit, static_argnames=("kernel", "stride", "padding", "dilation"))
def _lax_max_pool(x, kernel, stride, padding, dilation):
    return _reduce_window_max(x, kernel, stride, padding, dilation)


@functools.partial(jax.jit, static_argnames=("kernel", "stride", "padding", "dilation"))
def _lax_max_pool_vjp(x, dy, kernel, stride, padding, dilation):
    return J.vjp(functools.partial(_reduce_window_max, kernel=kernel, stride=stride, padding=padding,
                                   dilation=dilation), (x,), dy)[0]


def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):
    k, s, p, d = _lax_geometry(kernel, stride, padding, dilation, ceil_mode)
    return J.array(_lax_max_pool(J.put(x, device), k, s, p, d))


def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,
                   device):
    k, s, p, d = _lax_geometry(kernel, stride, padding, dilation, ceil_mode)
    return J.array(_lax_max_pool_vjp(J.put(x, device), J.put(dy, device), k, s, p, d))

