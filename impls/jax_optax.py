"""JAX through Optax's losses (softmax_cross_entropy, softmax_cross_entropy_with_integer_labels,
sigmoid_binary_cross_entropy, kl_divergence), with jax.grad / jax.vjp for every gradient."""

from __future__ import annotations

import jax
import optax

from . import _jax as J

NAME = "jax:optax"
VERSION = f"optax {optax.__version__}, jax {jax.__version__}"
DEVICES = J.DEVICES
DTYPES = J.DTYPES
environment = J.environment


def skip_reason(op, device, dtype):
    return J.device_skip_reason(device)


# === cross_entropy ===================================================================================
# (section owned by the cross_entropy family)



# === sigmoid ===================================================================================
# (section owned by the sigmoid family)



# === kl ===================================================================================
# (section owned by the kl family)



# === iou ===================================================================================
# (section owned by the iou family)

