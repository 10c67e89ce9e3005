"""Weight quantization: integer grids, NormalFloat, scale overhead, AWQ-style scaling, and what a
quantized tinylm really loses.

A quantizer maps each weight w to an integer code q on a grid and stores, per block of weights,
the scale s (and for asymmetric grids a zero-point z) needed to map it back:

    symmetric   q = clip(round(w / s), -(2^(b-1) - 1), 2^(b-1) - 1),  w ≈ s·q,  s = absmax / (2^(b-1) - 1)
    asymmetric  q = clip(round(w / s) + z, 0, 2^b - 1),              w ≈ s·(q - z), s = (max - min) / (2^b - 1)
    NormalFloat q = index of the nearest of 2^b levels placed at normal quantiles, w ≈ absmax · level[q]

A block is the whole tensor (per-tensor), one output channel (per-row), or `group_size` contiguous
weights inside one row (group). Rows here are output channels and a row's weights are the ones
that multiply one input vector, the layout of GPTQ/AWQ checkpoints. Floating-point formats
(FP16, BF16, FP8) come from `fieldguide.numerics`; this module does not redo them.

Effective bits per weight count the stored scales: b + scale_bits/block (+ zero_bits/block).
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from . import checks, numerics

SCHEMES = ("symmetric", "asymmetric", "nf")
GRANULARITIES = ("per-tensor", "per-row", "group")

# The 16 NF4 levels of QLoRA (Dettmers, Pagnoni, Holtzman & Zettlemoyer, "QLoRA: Efficient Finetuning
# of Quantized LLMs", 2023), as bitsandbytes ships them. `nf_levels(4)` rebuilds them from normal
# quantiles; a test checks that the two agree.
NF4 = (-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
       -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
       0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
       0.7229568362236023, 1.0)
NF_OFFSET = 0.9677083      # QLoRA's outermost quantile: (1 - 1/(2·15) + 1 - 1/(2·16)) / 2


def _bits(bits) -> int:
    return checks.whole("bits", bits, 1, 16)


@lru_cache(maxsize=None)
def nf_levels(bits: int = 4) -> tuple:
    """2^bits NormalFloat levels in [-1, 1]: normal quantiles, an exact zero, one more positive level.

    At 4 bits these are QLoRA's NF4 levels; at other widths the same construction (the paper's
    k-bit NormalFloat) with the outermost quantile placed the same way.
    """
    b = _bits(bits)
    if b < 2:
        raise ValueError("NormalFloat needs at least 2 bits")
    n = 2 ** b
    pos, neg = n // 2, n // 2 - 1
    offset = (1 - 1 / (2 * (n - 1)) + 1 - 1 / (2 * n)) / 2
    nd = NormalDist()

    def quantiles(k):
        ps = np.linspace(offset, 0.5, k + 1)[:-1]
        return [nd.inv_cdf(float(p)) for p in ps]
    v = sorted([-q for q in quantiles(neg)] + [0.0] + quantiles(pos))
    top = max(abs(x) for x in v)
    return tuple(x / top for x in v)


# --- one value -----------------------------------------------------------------------------------

def int_quantize(x, bits: int, scale: float, zero_point: int = 0, symmetric: bool = True) -> dict:
    """One value on a b-bit integer grid: its code, the value it decodes to, and the error."""
    v = checks.number("value", x)
    b = _bits(bits)
    s = checks.number("scale", scale, positive=True)
    if symmetric:
        lo, hi = -(2 ** (b - 1) - 1), 2 ** (b - 1) - 1
        z = 0
    else:
        lo, hi = 0, 2 ** b - 1
        z = int(zero_point)
    q = int(min(max(round(v / s) + z, lo), hi))
    deq = (q - z) * s
    return {"code": q, "value": deq, "error": deq - v, "clipped": not lo <= round(v / s) + z <= hi,
            "lo": lo, "hi": hi}


def asymmetric_params(lo: float, hi: float, bits: int) -> tuple[float, int]:
    """Scale and zero-point that map [lo, hi] onto the codes 0 … 2^b − 1 (zero stays exact)."""
    a, c = checks.number("min", lo), checks.number("max", hi)
    b = _bits(bits)
    a, c = min(a, 0.0), max(c, 0.0)      # the grid must contain 0 so that 0 is stored exactly
    if c == a:
        return 1.0, 0
    s = (c - a) / (2 ** b - 1)
    return s, int(round(-a / s))


# --- tensors -------------------------------------------------------------------------------------

def _blocks(W: np.ndarray, granularity: str, group_size: int) -> np.ndarray:
    """W reshaped to (n_blocks, block_len): each row of the result shares one scale."""
    if granularity == "per-tensor":
        return W.reshape(1, -1)
    if granularity == "per-row":
        return W
    g = min(checks.whole("group size", group_size, 1), W.shape[1])   # a group longer than a row is the row
    if W.shape[1] % g:
        raise ValueError(f"group size {g} does not divide the row length {W.shape[1]}")
    return W.reshape(-1, g)


def _quantize_scales(scales: np.ndarray, block: int = 256) -> np.ndarray:
    """QLoRA-style double quantization: scales to 8-bit codes in blocks of 256, one FP32 scale each.

    The mean is removed first (scales are all positive), then each block is stored symmetric 8-bit.
    """
    flat = scales.astype(np.float64).ravel()
    mean = float(flat.mean())
    c = flat - mean
    out = np.empty_like(c)
    for i in range(0, len(c), block):
        part = c[i:i + block]
        m = float(np.abs(part).max())
        s = m / 127 if m > 0 else 1.0
        out[i:i + block] = np.round(part / s) * s
    return (out + mean).reshape(scales.shape)


def quantize(W, bits: int = 4, scheme: str = "symmetric", granularity: str = "group",
             group_size: int = 128, double_quant: bool = False) -> dict:
    """Quantize a 2-D weight matrix (rows = output channels) and decode it again.

    Returns the dequantized matrix `W_hat` (float32, same shape), the per-block `scales` (and
    `zero_points` for asymmetric), the code `grid` of the first block in weight units, and `bpw`.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.size == 0:
        raise ValueError("quantize expects a non-empty 2-D weight matrix")
    if not np.all(np.isfinite(W)):
        raise ValueError("weights must be finite")
    b = _bits(bits)
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}; choose one of {', '.join(GRANULARITIES)}")
    B = _blocks(W, granularity, group_size)
    zeros = None
    if scheme == "symmetric":
        qmax = 2 ** (b - 1) - 1
        if qmax < 1:
            raise ValueError("a symmetric grid needs at least 2 bits")
        scales = np.abs(B).max(axis=1) / qmax
        scales[scales == 0] = 1.0
        if double_quant:
            scales = _quantize_scales(scales)
        q = np.clip(np.round(B / scales[:, None]), -qmax, qmax)
        Bh = q * scales[:, None]
        grid = np.arange(-qmax, qmax + 1) * scales[0]
    elif scheme == "asymmetric":
        lo, hi = np.minimum(B.min(axis=1), 0.0), np.maximum(B.max(axis=1), 0.0)
        scales = (hi - lo) / (2 ** b - 1)
        scales[scales == 0] = 1.0
        if double_quant:
            scales = _quantize_scales(scales)
        zeros = np.round(-lo / scales)
        q = np.clip(np.round(B / scales[:, None]) + zeros[:, None], 0, 2 ** b - 1)
        Bh = (q - zeros[:, None]) * scales[:, None]
        grid = (np.arange(2 ** b) - zeros[0]) * scales[0]
    else:
        levels = np.array(nf_levels(b))
        scales = np.abs(B).max(axis=1)
        scales[scales == 0] = 1.0
        if double_quant:
            scales = _quantize_scales(scales)
        x = B / scales[:, None]
        mids = (levels[1:] + levels[:-1]) / 2
        idx = np.searchsorted(mids, x)
        Bh = levels[idx] * scales[:, None]
        grid = levels * scales[0]
    block = B.shape[1]
    return {"W_hat": Bh.reshape(W.shape).astype(np.float32), "scales": scales, "zero_points": zeros,
            "grid": grid, "block": block, "n_blocks": B.shape[0],
            "bpw": effective_bpw(b, block, scheme=scheme, double_quant=double_quant, n_blocks=B.shape[0])}


def effective_bpw(bits: float, block: int, scale_bits: float | None = None, scheme: str = "symmetric",
                  double_quant: bool = False, n_blocks: int | None = None) -> float:
    """Bits stored per weight, scales included.

    scale_bits defaults to 16 (FP16 scales, GPTQ/AWQ/GGUF style) for integer grids and 32 for
    NormalFloat (QLoRA keeps its absmax constants in FP32). An asymmetric grid also stores a
    zero-point at the weights' own width. Double quantization stores each scale as 8 bits plus one
    FP32 constant per 256 scales. n_blocks (if given) counts the last, partly filled block of 256.
    """
    b = checks.number("bits", bits, 1, 32)
    g = checks.whole("block", block, 1)
    if scale_bits is None:
        scale_bits = 32 if scheme == "nf" else 16
    if double_quant:
        per_block = 8 + (32 * math.ceil(n_blocks / 256) / n_blocks if n_blocks else 32 / 256)
    else:
        per_block = scale_bits
    if scheme == "asymmetric":
        per_block += b
    return b + per_block / g


def scale_bytes(n_blocks: int, scheme: str = "symmetric", bits: int = 4, double_quant: bool = False) -> int:
    """Bytes the scales (and zero-points) of n_blocks blocks take."""
    n = checks.whole("blocks", n_blocks, 1)
    if double_quant:
        bits_total = 8 * n + 32 * math.ceil(n / 256)
    else:
        bits_total = (32 if scheme == "nf" else 16) * n
    if scheme == "asymmetric":
        bits_total += bits * n
    return math.ceil(bits_total / 8)


# --- error measures ------------------------------------------------------------------------------

def errors(W, W_hat, X=None) -> dict:
    """MSE, SNR (dB) of the weights, and the relative error of the layer output X·Wᵀ."""
    W = np.asarray(W, dtype=np.float64)
    Wh = np.asarray(W_hat, dtype=np.float64)
    d = Wh - W
    mse = float(np.mean(d ** 2))
    power = float(np.mean(W ** 2))
    snr = math.inf if mse == 0 else 10 * math.log10(power / mse)
    out = {"mse": mse, "snr_db": snr, "max_abs": float(np.abs(d).max())}
    if X is not None:
        X = np.asarray(X, dtype=np.float64)
        y = X @ W.T
        out["rel_out"] = float(np.linalg.norm(X @ d.T) / max(np.linalg.norm(y), 1e-300))
    return out


def synthetic(rows: int = 256, cols: int = 512, outlier_frac: float = 0.001, outlier_mag: float = 20.0,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian weight matrix (std 0.02) with a fraction of weights blown up by outlier_mag, and
    calibration inputs X (64 × cols) whose channels have log-normal scales (a few salient ones)."""
    f = checks.number("outlier fraction", outlier_frac, 0, 1)
    m = checks.number("outlier magnitude", outlier_mag, 0)
    rng = np.random.default_rng(checks.whole("seed", seed, 0, 2 ** 32 - 1))
    W = rng.normal(0, 0.02, (rows, cols))
    k = int(round(f * W.size))
    if k:
        idx = rng.choice(W.size, k, replace=False)
        W.flat[idx] *= m
    chan = np.exp(rng.normal(0, 1.0, cols))
    X = rng.normal(0, 1.0, (64, cols)) * chan
    return W, X


# --- AWQ-style activation-aware scaling ----------------------------------------------------------

def awq_scale(W, X, bits: int = 4, scheme: str = "symmetric", granularity: str = "group",
              group_size: int = 128, double_quant: bool = False,
              alphas=(0.0, 0.25, 0.5, 0.75, 1.0)) -> dict:
    """Activation-aware per-input-channel scales, after Lin et al., "AWQ" (MLSys 2024).

    Channels whose inputs are large matter most. Multiply column j of W by s_j = mean|X_j|^α (and
    divide the input by s_j, which can fold into the previous op), quantize, and pick the α on the
    grid that gives the smallest output error on the calibration inputs X. α = 0 is plain rounding.
    Returns the best alpha, the scales s and the dequantized W (with the scales undone).
    """
    W = np.asarray(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    act = np.abs(X).mean(axis=0) + 1e-8
    y = X @ W.T
    best = None
    for a in alphas:
        s = act ** a
        s = s / np.sqrt(s.max() * s.min())
        Wh = quantize(W * s, bits, scheme, granularity, group_size, double_quant)["W_hat"] / s
        err = float(np.linalg.norm(X @ (Wh - W).T) / max(np.linalg.norm(y), 1e-300))
        if best is None or err < best["rel_out"] - 1e-12:
            best = {"alpha": a, "scales": s, "W_hat": Wh.astype(np.float32), "rel_out": err}
    return best


# --- the real tiny model -------------------------------------------------------------------------

EVAL_TEXT = (
    "Return the number of items in the queue that are waiting to be processed.\n\n"
    "If the optional argument block is true and timeout is None, wait until an item is available. "
    "The value is a list of strings, one for each line of the file, with the newline kept at the end.\n\n"
    "Raise ValueError if the name is not a valid identifier, and TypeError if the argument is not a string."
)
CALIB_TEXT = (
    "Create a new dictionary with keys from the iterable and values set to the default value.\n\n"
    "This function opens the file and returns a stream object. The mode argument is optional and "
    "defaults to read mode. Return True if the path refers to an existing directory."
)
LINEAR = ("attn.w_qkv", "attn.w_o", "mlp.w_in", "mlp.w_out")
COMPLETION_PROMPT = "If the file does not exist,"


def _tinylm():
    from . import tinylm
    return tinylm


@lru_cache(maxsize=1)
def _calibration_inputs() -> dict:
    """The input each linear layer of tinylm sees on CALIB_TEXT (rows = tokens)."""
    tl = _tinylm()
    from .tinylm import layers as L
    m = tl.load()
    p = m.params
    r = tl.run(tl.encode(CALIB_TEXT))
    out = {}
    for i in range(m.cfg.n_layer):
        h1, _ = L.layernorm_forward(r["resid"][i][None], p[f"h{i}.ln1.g"], p[f"h{i}.ln1.b"])
        out[f"h{i}.attn.w_qkv"] = h1[0]
        heads = r["heads"][i]                         # (H, T, D)
        out[f"h{i}.attn.w_o"] = np.transpose(heads, (1, 0, 2)).reshape(heads.shape[1], -1)
        h2, _ = L.layernorm_forward(r["resid_mid"][i][None], p[f"h{i}.ln2.g"], p[f"h{i}.ln2.b"])
        out[f"h{i}.mlp.w_in"] = h2[0]
        u, _ = L.gelu_forward(h2[0] @ p[f"h{i}.mlp.w_in"] + p[f"h{i}.mlp.b_in"])
        out[f"h{i}.mlp.w_out"] = u
    return out


def tinylm_layers() -> list[str]:
    """Names of tinylm's linear weight matrices (the ones quantized)."""
    return [f"h{i}.{n}" for i in range(_tinylm().load().cfg.n_layer) for n in LINEAR]


def tinylm_matrix(name: str) -> tuple[np.ndarray, np.ndarray]:
    """One tinylm weight as (out, in) with rows = output channels, and its calibration inputs."""
    if name not in tinylm_layers():
        raise ValueError(f"unknown tinylm layer {name!r}; known: {', '.join(tinylm_layers())}")
    W = _tinylm().load().params[name].astype(np.float64).T
    return W, _calibration_inputs()[name].astype(np.float64)


def _float_params(fmt: str) -> dict:
    """tinylm with every linear weight stored in a float format (fp16/bf16 direct, FP8 with a
    per-tensor scale so the absmax lands on the format's max), via fieldguide.numerics."""
    m = _tinylm().load()
    new = dict(m.params)
    for name in tinylm_layers():
        w = m.params[name]
        scale = 1.0
        if fmt in ("e4m3", "e5m2"):
            scale = float(np.abs(w).max()) / numerics.get_format(fmt).max
        u, inv = np.unique(w.astype(np.float64) / scale, return_inverse=True)
        r = np.array([numerics.round_to(x, fmt) for x in u])
        new[name] = (r[inv].reshape(w.shape) * scale).astype(np.float32)
    return new


@lru_cache(maxsize=64)
def quantized_tinylm(setting: tuple):
    """tinylm with its linear weights quantized. setting: ("float", fmt) or
    ("int", bits, scheme, granularity, group_size, awq, double_quant). Embeddings, norms and
    biases stay as shipped."""
    tl = _tinylm()
    from .tinylm.model import TinyLM
    m = tl.load()
    if setting[0] == "float":
        return TinyLM(m.cfg, _float_params(setting[1]))
    _, bits, scheme, gran, group, awq, dq = setting
    new = dict(m.params)
    for name in tinylm_layers():
        W, X = tinylm_matrix(name)
        if awq:
            Wh = awq_scale(W, X, bits, scheme, gran, group, dq)["W_hat"]
        else:
            Wh = quantize(W, bits, scheme, gran, group, dq)["W_hat"]
        new[name] = np.ascontiguousarray(Wh.T, dtype=np.float32)
    return TinyLM(m.cfg, new)


def _model_for(quant) -> object:
    if quant is None:
        return _tinylm().load()
    return quantized_tinylm(tuple(quant))


@lru_cache(maxsize=64)
def perplexity(quant=None, text: str = EVAL_TEXT) -> float:
    """Perplexity of tinylm (or a quantized copy, see quantized_tinylm) on a fixed held-out text:
    exp of the mean next-token cross-entropy. The default text was written for this book, so the
    model never trained on it."""
    ids = _tinylm().encode(text)
    if len(ids) < 2:
        raise ValueError("the text needs at least two tokens")
    ids = ids[: _tinylm().load().cfg.n_ctx]
    logits, _, _ = _model_for(quant).forward(ids)
    z = logits[:-1].astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    nll = -logp[np.arange(len(ids) - 1), ids[1:]]
    return float(math.exp(nll.mean()))


@lru_cache(maxsize=64)
def completion(quant=None, prompt: str = COMPLETION_PROMPT, n: int = 20) -> str:
    """Greedy continuation of a fixed prompt by tinylm (or a quantized copy)."""
    tl = _tinylm()
    m = _model_for(quant)
    ids = tl.encode(prompt)
    logits, cache, _ = m.forward(ids)
    out = []
    for _ in range(n):
        nxt = int(np.argmax(logits[-1]))
        out.append(nxt)
        logits, cache, _ = m.forward([nxt], cache)
    return tl.decode(out)


# --- whole models ---

# Serving precisions: label, effective bits per weight (scales included), the tinylm setting that
# stands for it. INT8 is per output channel (one FP16 scale per row of thousands: < 0.01 bit);
# INT4 is group-128 with FP16 scales (GPTQ/AWQ layout); ~3-bit is group-64 with FP16 scales.
PRECISIONS = {
    "fp16": ("FP16", 16.0, ("float", "fp16")),
    "fp8": ("FP8 E4M3", 8.0, ("float", "e4m3")),
    "int8": ("INT8 per-row", 8.0, ("int", 8, "symmetric", "per-row", 128, False, False)),
    "int4": ("INT4 group-128", 4.125, ("int", 4, "symmetric", "group", 128, False, False)),
    "q3": ("~3-bit group-64", 3.25, ("int", 3, "symmetric", "group", 64, False, False)),
}


def precision(name: str) -> tuple:
    if name not in PRECISIONS:
        raise ValueError(f"unknown precision {name!r}; choose one of {', '.join(PRECISIONS)}")
    return PRECISIONS[name]


def model_gb(n_params: float, prec: str) -> float:
    """Weight GB of a model at one of PRECISIONS."""
    return weights_gb(n_params, precision(prec)[1])


# -------------------------------------------------------------------------------------------------

def weights_gb(n_params: float, bpw: float) -> float:
    """Weight memory in GB (10⁹ bytes) at an effective bits-per-weight, scales included."""
    n = checks.number("parameters", n_params, 0)
    b = checks.number("bits per weight", bpw, 0, 64)
    return n * b / 8 / 1e9
