"""Mutants of the pooling family: single-bug variants of the NumPy backend's pooling ops."""

from __future__ import annotations

import numpy as np

from ..impls.numpy_ import pooling as base
from . import mutant


@mutant("pool-ceil-mode-as-floor", "ceil_mode ignored: the last partial window is dropped")
def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):
    return base.max_pool2d(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=False,
                           device=device)


@mutant("pool-ceil-mode-as-floor", "ceil_mode ignored: the last partial window is dropped")
def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,
               device):
    return base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=False,
                           count_include_pad=count_include_pad, device=device)


@mutant("avg-pool-always-counts-padding", "count_include_pad=False ignored: padded cells are always in the divisor")
def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,  # noqa: F811
               device):
    return base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                           count_include_pad=True, device=device)


@mutant("avg-pool-never-counts-padding", "count_include_pad=True ignored: only input cells are in the divisor")
def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,  # noqa: F811
               device):
    return base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                           count_include_pad=False, device=device)


def _scan(x, kernel, stride, padding, dilation, ceil_mode):
    """(i, j, flat plane positions of the window's input cells in scan order) for every window."""
    k, s, d, pads, (ho, wo) = base._setup(x, kernel, stride, padding, dilation, ceil_mode)
    H, W = x.shape[2:]
    routes = []
    for i in range(ho):
        for j in range(wo):
            cells = [(r, c) for r, c in base._cells(i, j, k, s, d, pads) if 0 <= r < H and 0 <= c < W]
            flat = np.array([r * W + c for r, c in cells])
            routes.append((i, j, flat))
    return routes


@mutant("max-pool-grad-to-last-tied-max", "the backward sends dy to the LAST maximum among ties")
def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,
                   device):
    N, C, H, W = x.shape
    dx = np.zeros((N, C, H * W), dtype=np.float64)
    for i, j, flat in _scan(x, kernel, stride, padding, dilation, ceil_mode):
        vals = x.reshape(N, C, H * W)[:, :, flat]
        last = vals.shape[-1] - 1 - np.argmax(vals[..., ::-1], axis=-1)
        for n in range(N):
            for c in range(C):
                dx[n, c, flat[last[n, c]]] += dy[n, c, i, j]
    return dx.reshape(x.shape).astype(x.dtype)


@mutant("max-pool-grad-to-every-tied-max", "the backward sends the full dy to every maximum among ties")
def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,  # noqa: F811
                   device):
    N, C, H, W = x.shape
    dx = np.zeros((N, C, H * W), dtype=np.float64)
    for i, j, flat in _scan(x, kernel, stride, padding, dilation, ceil_mode):
        vals = x.reshape(N, C, H * W)[:, :, flat]
        hit = vals == vals.max(axis=-1, keepdims=True)
        for n in range(N):
            for c in range(C):
                dx[n, c, flat[hit[n, c]]] += dy[n, c, i, j]
    return dx.reshape(x.shape).astype(x.dtype)


@mutant("max-pool-zero-padding", "padded cells hold 0 instead of −∞: wrong wherever a window's inputs are negative")
def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):  # noqa: F811
    k, s, d, pads, (ho, wo) = base._setup(x, kernel, stride, padding, dilation, ceil_mode)
    N, C, H, W = x.shape
    y = np.empty((N, C, ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            taps = [x[:, :, r, c] if 0 <= r < H and 0 <= c < W else np.zeros((N, C), x.dtype)
                    for r, c in base._cells(i, j, k, s, d, pads)]
            y[:, :, i, j] = np.max(np.stack(taps), axis=0)
    return y


@mutant("global-avg-pool-as-sum", "global average pooling sums the plane and forgets to divide by H·W")
def global_avg_pool2d(x, *, device):
    return x.sum(axis=(2, 3), dtype=np.float64).astype(x.dtype)


@mutant("max-unpool-transposed", "unpooling writes index h·W + w at (w, h): rows and columns swapped")
def max_unpool2d(y, indices, *, output_size, device):
    H, W = (int(v) for v in output_size)
    N, C = y.shape[:2]
    out = np.zeros((N, C, H, W), dtype=y.dtype)
    for n in range(N):
        for c in range(C):
            h, w = np.divmod(indices[n, c].ravel(), W)
            ok = (w < H) & (h < W)
            out[n, c, w[ok], h[ok]] = y[n, c].ravel()[ok]
    return out


@mutant("pool-output-size-ignores-dilation", "output size computed from K instead of the dilated span d(K−1)+1")
def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):  # noqa: F811
    y = base.max_pool2d(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode,
                        device=device)
    k, s, _, pads, _ = base._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
    sizes = [(n + b + a - kk) // ss + 1 for n, kk, ss, (b, a) in zip(x.shape[2:], k, s, pads)]
    out = np.full(x.shape[:2] + tuple(sizes), -np.inf, dtype=x.dtype)
    h, w = min(sizes[0], y.shape[2]), min(sizes[1], y.shape[3])
    out[:, :, :h, :w] = y[:, :, :h, :w]  # the windows it does compute are right; the count is not
    return out


@mutant("max-pool-indices-in-padded-plane", "indices count positions in the padded plane (width W + P_l + P_r)")
def max_pool2d_with_indices(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1),
                            ceil_mode=False, device):
    y, idx = base.max_pool2d_with_indices(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                                          ceil_mode=ceil_mode, device=device)
    _, _, _, pads, _ = base._setup(x, kernel, stride, padding, dilation, ceil_mode)
    W = x.shape[3]
    h, w = np.divmod(idx, W)
    return y, (h + pads[0][0]) * (W + pads[1][0] + pads[1][1]) + w + pads[1][0]


@mutant("avg-pool-vjp-divides-by-kernel-area", "the backward divides by K_h·K_w whatever the forward's divisor")
def avg_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False,
                   count_include_pad=True, device):
    k, s, _, pads, (ho, wo) = base._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
    H, W = x.shape[2:]
    dx = np.zeros(x.shape)
    for i in range(ho):
        for j in range(wo):
            for r, c in base._cells(i, j, k, s, (1, 1), pads):
                if 0 <= r < H and 0 <= c < W:
                    dx[:, :, r, c] += dy[:, :, i, j] / (k[0] * k[1])
    return dx.astype(x.dtype)


# --- inferior algorithms and reach (issue 10): each a behaviour seen in a real kernel ---------------------------

@mutant("avg-pool-ceil-divisor-counts-overhang",
        "count_include_pad divides every window by K_h·K_w, counting a ceil-mode window's overhang past the padded "
        "input (apple/coremltools#2844, sonos/tract#2851, robertknight/rten#1456)")
def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,  # noqa: F811
               device):
    if not count_include_pad:
        return base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                               count_include_pad=False, device=device)
    k, s, _, pads, (ho, wo) = base._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
    H, W = x.shape[2:]
    y = np.zeros((*x.shape[:2], ho, wo))
    for i in range(ho):
        for j in range(wo):
            for r, c in base._cells(i, j, k, s, (1, 1), pads):
                if 0 <= r < H and 0 <= c < W:
                    y[:, :, i, j] += x[:, :, r, c]
    return (y / (k[0] * k[1])).astype(x.dtype)


@mutant("avg-pool-divisor-unclamped-without-padding",
        "with no explicit padding the divisor is K_h·K_w whatever count_include_pad, though ceil mode lets windows "
        "run off the input (llvm/torch-mlir#4144: the clamped divisor only applied when padding > 0)")
def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,  # noqa: F811
               device):
    k, s, _, pads, _ = base._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
    if any(pads[0]) or any(pads[1]):
        return base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                               count_include_pad=count_include_pad, device=device)
    # a window inside the input has K cells: padding 0 makes it "safe" to divide by K, and that is the bug
    y = base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                        count_include_pad=False, device=device).astype(np.float64)
    H, W = x.shape[2:]
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            n = sum(0 <= r < H and 0 <= c < W for r, c in base._cells(i, j, k, s, (1, 1), pads))
            y[:, :, i, j] *= n / (k[0] * k[1])
    return y.astype(x.dtype)


@mutant("max-pool-ceil-window-in-trailing-padding",
        "ceil mode keeps a last window that starts in the trailing padding (output size ⌈·⌉ + 1 without the "
        "start-inside rule): pytorch/pytorch#45357, pytorch/xla#2583, tracel-ai/burn#5791")
def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):  # noqa: F811
    k, s, d, pads, sizes = base._setup(x, kernel, stride, padding, dilation, ceil_mode)
    if ceil_mode:
        sizes = [-(-(n + b + a - (dd * (kk - 1) + 1)) // ss) + 1
                 for n, kk, ss, dd, (b, a) in zip(x.shape[2:], k, s, d, pads)]
    N, C, H, W = x.shape
    y = np.full((N, C, *sizes), -np.inf)
    for i in range(sizes[0]):
        for j in range(sizes[1]):
            for r, c in base._cells(i, j, k, s, d, pads):
                if 0 <= r < H and 0 <= c < W:
                    y[:, :, i, j] = np.maximum(y[:, :, i, j], x[:, :, r, c])
    return y.astype(x.dtype)


@mutant("global-avg-pool-float16-sum",
        "float16 planes summed in float16, then divided: the running sum stalls at 2048 and overflows past 65504 "
        "while the mean fits (huggingface/candle#3719, ROCm/MIOpen#2109, pytorch/pytorch#12115)")
def global_avg_pool2d(x, *, device):  # noqa: F811
    if x.dtype != np.float16:
        return base.global_avg_pool2d(x, device=device)
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    total = np.zeros(flat.shape[:2], dtype=np.float16)
    with np.errstate(over="ignore"):
        for k in range(flat.shape[2]):
            total = (total + flat[:, :, k]).astype(np.float16)
        return (total.astype(np.float32) / np.float32(flat.shape[2])).astype(np.float16)


@mutant("global-avg-pool-divide-then-sum-float16",
        "float16 planes: each x/(H·W) rounded to float16, then summed in float16 — the overflow fix of "
        "PaddlePaddle/Paddle-Lite#9770 (divide first, then accumulate), which loses the small terms")
def global_avg_pool2d(x, *, device):  # noqa: F811
    if x.dtype != np.float16:
        return base.global_avg_pool2d(x, device=device)
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    n = np.float16(flat.shape[2])
    total = np.zeros(flat.shape[:2], dtype=np.float16)
    for k in range(flat.shape[2]):
        total = (total + (flat[:, :, k] / n).astype(np.float16)).astype(np.float16)
    return total


@mutant("avg-pool-float16-window-sum",
        "float16 windows summed in float16 (Oneflow-Inc/oneflow#9170 review: `half sum = 0`; ROCm/MIOpen#2109)")
def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,  # noqa: F811
               device):
    if x.dtype != np.float16:
        return base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                               count_include_pad=count_include_pad, device=device)
    k, s, _, pads, (ho, wo) = base._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
    N, C, H, W = x.shape
    y = np.empty((N, C, ho, wo), dtype=np.float16)
    with np.errstate(over="ignore"):
        for i in range(ho):
            for j in range(wo):
                total = np.zeros((N, C), dtype=np.float16)
                for r, c in base._cells(i, j, k, s, (1, 1), pads):
                    if 0 <= r < H and 0 <= c < W:
                        total = (total + x[:, :, r, c]).astype(np.float16)
                y[:, :, i, j] = (total.astype(np.float32)
                                 / np.float32(base._divisor(i, j, k, s, pads, H, W, count_include_pad)))
    return y


def _clamped_start_windows(x, kernel, stride, padding, dilation, ceil_mode):
    """(y, indices) where a window whose first tap lies in the leading padding restarts its taps at row/column 0
    (start clamped to 0, then stepped by d up to the unclamped end): onnxruntime's CUDA max_pool_with_index."""
    k, s, d, pads, (ho, wo) = base._setup(x, kernel, stride, padding, dilation, ceil_mode)
    N, C, H, W = x.shape
    plane = x.reshape(N, C, H * W)
    y = np.empty((N, C, ho, wo), dtype=x.dtype)
    idx = np.empty((N, C, ho, wo), dtype=np.int64)

    def taps(i, size, kk, ss, dd, before):
        start = i * ss - before
        end = min(start + (kk - 1) * dd + 1, size)
        return list(range(max(start, 0), end, dd)) if start < 0 else list(range(start, end, dd))

    for i in range(ho):
        rows = taps(i, H, k[0], s[0], d[0], pads[0][0])
        for j in range(wo):
            cols = taps(j, W, k[1], s[1], d[1], pads[1][0])
            flat = np.array([r * W + c for r in rows for c in cols])
            vals = plane[:, :, flat]
            best = np.argmax(vals, axis=-1)
            y[:, :, i, j] = np.take_along_axis(vals, best[..., None], -1)[..., 0]
            idx[:, :, i, j] = flat[best]
    return y, idx


@mutant("max-pool-dilated-window-clamped-at-padding",
        "dilation > 1 with leading padding: a window starting in the padding restarts its taps at 0 (wrong values "
        "and indices): microsoft/onnxruntime#29637, CUDA MaxPool with dilation and begin padding")
def max_pool2d_with_indices(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1),  # noqa: F811
                            ceil_mode=False, device):
    return _clamped_start_windows(x, kernel, stride, padding, dilation, ceil_mode)


@mutant("max-pool-dilated-window-clamped-at-padding",
        "dilation > 1 with leading padding: a window starting in the padding restarts its taps at 0 (wrong values "
        "and indices): microsoft/onnxruntime#29637, CUDA MaxPool with dilation and begin padding")
def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):  # noqa: F811
    return _clamped_start_windows(x, kernel, stride, padding, dilation, ceil_mode)[0]


@mutant("max-pool-vjp-dilation-h-for-w",
        "the max-pool backward takes dilation[0] for both axes (tracel-ai/burn#4466: `dilation[0]` passed twice; "
        "tests used symmetric dilations only)")
def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,  # noqa: F811
                   device):
    k, st, _, pads, (ho, wo) = base._setup(x, kernel, stride, padding, dilation, ceil_mode)
    dh = base._two(dilation)[0]
    N, C, H, W = x.shape
    plane = x.reshape(N, C, H * W)
    dx = np.zeros((N, C, H * W))
    for i in range(ho):  # the forward's output grid, routed through windows dilated by (d_h, d_h)
        for j in range(wo):
            flat = np.array([r * W + c for r, c in base._cells(i, j, k, st, (dh, dh), pads)
                             if 0 <= r < H and 0 <= c < W])
            if flat.size == 0:
                continue
            best = flat[np.argmax(plane[:, :, flat], axis=-1)]
            for n in range(N):
                for c in range(C):
                    dx[n, c, best[n, c]] += dy[n, c, i, j]
    return dx.reshape(x.shape).astype(x.dtype)
