"""Conversions shared by the PyTorch adapters: NumPy ↔ torch tensors, devices, dtypes, autograd."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ml_dtypes
import numpy as np
import torch

from .interface import Unsupported

DTYPES = ("float16", "bfloat16", "float32", "float64")
DEVICES = ("cpu", "cuda")
TORCH_DTYPE = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
               "float64": torch.float64}


def device_skip_reason(device: str) -> str | None:
    if device == "cuda" and not torch.cuda.is_available():
        return f"CUDA is not available to torch {torch.__version__}"
    return None


def environment() -> dict[str, str]:
    env = {"threads": str(torch.get_num_threads())}
    if torch.cuda.is_available():
        env.update({
            "cuda": torch.version.cuda or "?",
            "gpu": torch.cuda.get_device_name(0),
            "cudnn": str(torch.backends.cudnn.version()),
            "cudnn.allow_tf32": str(torch.backends.cudnn.allow_tf32),
            "cuda.matmul.allow_tf32": str(torch.backends.cuda.matmul.allow_tf32),
            "cudnn.deterministic": str(torch.backends.cudnn.deterministic),
            "cudnn.benchmark": str(torch.backends.cudnn.benchmark),
        })
    return env


def tensor(x: np.ndarray, device: str, *, grad: bool = False) -> torch.Tensor:
    """A NumPy array as a tensor on `device`; bfloat16 travels through float32 (exact)."""
    if x.dtype == ml_dtypes.bfloat16:
        t = torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
    else:
        t = torch.from_numpy(np.ascontiguousarray(x).reshape(x.shape))  # 0-d stays 0-d
    t = t.to(device)
    return t.requires_grad_(True) if grad else t


def array(t: torch.Tensor) -> np.ndarray:
    """A tensor as a NumPy array of the same dtype (bfloat16 as ml_dtypes.bfloat16)."""
    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:
        return t.float().numpy().astype(ml_dtypes.bfloat16)
    return t.numpy()


def vjp(forward: Callable[..., torch.Tensor], primals: Sequence[np.ndarray], dy: np.ndarray, device: str,
        *, wrt: Sequence[int] | None = None) -> tuple[np.ndarray, ...]:
    """Reverse mode through torch.autograd: the gradients of ⟨dy, forward(*primals)⟩ w.r.t. primals[wrt]."""
    wrt = range(len(primals)) if wrt is None else wrt
    ts = [tensor(p, device, grad=i in wrt) for i, p in enumerate(primals)]
    out = forward(*ts)
    grads = torch.autograd.grad(out, [ts[i] for i in wrt], grad_outputs=tensor(dy, device).to(out.dtype))
    return tuple(array(g) for g in grads)


def unsupported(e: RuntimeError) -> Unsupported | None:
    """PyTorch's 'not implemented for <dtype>' errors mean an unsupported combination, not a wrong result."""
    msg = str(e)
    if "not implemented for" in msg or "does not support" in msg.lower():
        return Unsupported(f"torch {torch.__version__}: {msg.splitlines()[0]}")
    return None


def call(fn):
    """Run a torch call; 'not implemented for <dtype>' becomes Unsupported, anything else propagates."""
    try:
        return fn()
    except RuntimeError as e:
        if (u := unsupported(e)) is not None:
            raise u from None
        raise
