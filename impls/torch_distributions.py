"""PyTorch through torch.distributions: kl_divergence between two Normal distributions (its only public
closed form of the Gaussian KL)."""

from __future__ import annotations

import torch
import torch.distributions as D

from . import _torch as T

NAME = "torch:distributions"
VERSION = torch.__version__
DEVICES = T.DEVICES
DTYPES = T.DTYPES
environment = T.environment


def skip_reason(op, device, dtype):
    return T.device_skip_reason(device)


# --- kl ---------------------------------------------------------------------------------------------------------------

def gaussian_kl(mu1, sigma1, mu2, sigma2, *, device):
    # Normal takes (loc, scale): the standard deviation, as the spec's σ
    m1, s1, m2, s2 = (T.tensor(a, device) for a in (mu1, sigma1, mu2, sigma2))
    return T.array(D.kl_divergence(D.Normal(m1, s1, validate_args=False), D.Normal(m2, s2, validate_args=False)))
