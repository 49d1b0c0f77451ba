"""PyTorch through its nn modules (nn.BatchNorm1d/2d with running statistics and momentum, nn.LayerNorm,
nn.GroupNorm, nn.InstanceNorm2d, loss modules), a second column beside torch.nn.functional."""

from __future__ import annotations

import torch

from . import _torch as T

NAME = "torch:nn"
VERSION = torch.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# === batch_norm ===================================================================================
# (section owned by the batch_norm family)



# === norms ===================================================================================
# (section owned by the norms family)

