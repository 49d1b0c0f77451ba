"""PyTorch through torch.distributions: kl_divergence between two Normal distributions (its only public
closed form of the Gaussian KL)."""

from __future__ import annotations

import torch

from . import _torch as T

NAME = "torch:distributions"
VERSION = torch.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# === kl ===================================================================================
# (section owned by the kl family)

