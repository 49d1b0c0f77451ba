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

