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

import functools  # noqa: E402

import numpy as np  # noqa: E402


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


_conv_jit = functools.partial(jax.jit, static_argnames=("stride", "padding", "dilation", "groups"))


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




# === pooling ===================================================================================
# (section owned by the pooling family)

