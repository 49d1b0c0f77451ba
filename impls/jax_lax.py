"""JAX through jax.lax (conv_general_dilated for convolution, reduce_window for pooling), with jax.vjp for every
gradient. Each op is jitted once; static arguments (geometry) are part of the cache key, so a run compiles once
per shape bucket."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from . import _jax as J
from .interface import Unsupported

NAME = "jax:lax"
VERSION = jax.__version__
DEVICES = J.DEVICES
DTYPES = J.DTYPES
environment = J.environment


def skip_reason(op, device, dtype):
    return J.device_skip_reason(device)


# --- conv -------------------------------------------------------------------------------------------------------------

def _conv_geometry(stride, padding, dilation, groups):
    """Hashable static arguments: lax takes 'SAME'/'VALID' or [(lo, hi), (lo, hi)] padding."""
    pair = lambda v: tuple(int(a) for a in np.broadcast_to(np.ravel(v), 2))  # noqa: E731
    if isinstance(padding, str):
        pad = padding.upper()  # lax's 'SAME' is TensorFlow's: the odd cell after
    else:
        p = np.asarray(padding)
        pad = ((int(p),) * 2,) * 2 if p.ndim == 0 else tuple((int(a), int(a)) for a in p) if p.ndim == 1 \
            else tuple((int(a), int(c)) for a, c in p)
    return {"stride": pair(stride), "padding": pad, "dilation": pair(dilation), "groups": int(groups)}


def _conv_apply(x, w, b, *, stride, padding, dilation, groups):
    y = jax.lax.conv_general_dilated(x, w, window_strides=stride, padding=padding if isinstance(padding, str)
                                     else list(padding), rhs_dilation=dilation,
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"), feature_group_count=groups)
    # lax has no bias argument: a broadcast add over the channel axis, as flax.linen.Conv adds its bias
    return y if b is None else y + b[None, :, None, None]


_conv_jit = partial(jax.jit, static_argnames=("stride", "padding", "dilation", "groups"))


@_conv_jit
def _conv_forward(x, w, b, *, stride, padding, dilation, groups):
    return _conv_apply(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)


@_conv_jit
def _conv_backward(x, w, b, dy, *, stride, padding, dilation, groups):
    geo = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    if b is None:
        return J.vjp(lambda xx, ww: _conv_apply(xx, ww, None, **geo), (x, w), dy)
    return J.vjp(lambda xx, ww, bb: _conv_apply(xx, ww, bb, **geo), (x, w, b), dy)


def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    bb = None if b is None else J.put(b, device)
    return J.array(_conv_forward(J.put(x, device), J.put(w, device), bb,
                                 **_conv_geometry(stride, padding, dilation, groups)))


def conv2d_vjp(x, w, b, dy, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    bb = None if b is None else J.put(b, device)
    grads = _conv_backward(J.put(x, device), J.put(w, device), bb, J.put(dy, device),
                           **_conv_geometry(stride, padding, dilation, groups))
    return tuple(J.array(g) for g in grads)


# --- pooling ----------------------------------------------------------------------------------------------------------

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


@partial(jax.jit, static_argnames=("kernel", "stride", "padding", "dilation"))
def _lax_max_pool(x, kernel, stride, padding, dilation):
    return _reduce_window_max(x, kernel, stride, padding, dilation)


@partial(jax.jit, static_argnames=("kernel", "stride", "padding", "dilation"))
def _lax_max_pool_vjp(x, dy, kernel, stride, padding, dilation):
    return J.vjp(partial(_reduce_window_max, kernel=kernel, stride=stride, padding=padding,
                         dilation=dilation), (x,), dy)[0]


def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):
    k, s, p, d = _lax_geometry(kernel, stride, padding, dilation, ceil_mode)
    return J.array(_lax_max_pool(J.put(x, device), k, s, p, d))


def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,
                   device):
    k, s, p, d = _lax_geometry(kernel, stride, padding, dilation, ceil_mode)
    return J.array(_lax_max_pool_vjp(J.put(x, device), J.put(dy, device), k, s, p, d))
