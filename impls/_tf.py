"""Conversions shared by the TensorFlow adapters (tf.nn, the fused kernels, Keras 3 on TensorFlow)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from .interface import Unsupported

DTYPES = ("float16", "bfloat16", "float32", "float64")
DEVICES = ("cpu", "cuda")


def tf_device(device: str) -> str:
    return "/CPU:0" if device == "cpu" else "/GPU:0"


def device_skip_reason(device: str) -> str | None:
    if device == "cuda" and not tf.config.list_physical_devices("GPU"):
        return f"tensorflow {tf.__version__} sees no GPU here"
    return None


def environment() -> dict[str, str]:
    env = {"tf32": str(tf.config.experimental.tensor_float_32_execution_enabled())}
    if tf.config.list_physical_devices("GPU"):
        info = tf.sysconfig.get_build_info()
        env.update({"cuda": str(info.get("cuda_version")), "cudnn": str(info.get("cudnn_version"))})
    return env


def constant(x: np.ndarray) -> tf.Tensor:
    return tf.constant(x)


def array(t: tf.Tensor) -> np.ndarray:
    return t.numpy()


def run(device: str, fn: Callable[[], object]) -> object:
    """Run `fn` on `device`, turning 'no kernel registered for this dtype' into Unsupported."""
    try:
        with tf.device(tf_device(device)):
            return fn()
    except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as e:
        msg = e.message if hasattr(e, "message") else str(e)
        if "No registered" in msg or "no kernel" in msg.lower() or "Could not find device for node" in msg:
            raise Unsupported(f"tensorflow {tf.__version__}: {msg.splitlines()[0][:200]}") from None
        raise


def vjp(forward: Callable[..., tf.Tensor], primals: Sequence[np.ndarray], dy: np.ndarray, device: str,
        *, wrt: Sequence[int] | None = None) -> tuple[np.ndarray, ...]:
    """Reverse mode through tf.GradientTape: gradients of ⟨dy, forward(*primals)⟩ w.r.t. primals[wrt]."""
    wrt = list(range(len(primals)) if wrt is None else wrt)

    def go():
        ts = [constant(p) for p in primals]
        with tf.GradientTape() as tape:
            for i in wrt:
                tape.watch(ts[i])
            out = forward(*ts)
        grads = tape.gradient(out, [ts[i] for i in wrt], output_gradients=tf.cast(constant(dy), out.dtype))
        return tuple(array(g) for g in grads)

    return run(device, go)
