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

