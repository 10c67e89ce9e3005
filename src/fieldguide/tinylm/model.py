"""The tiny decoder-only transformer: parameters, forward pass, backward pass.

    ids -> token embedding + position embedding                        the residual stream x
    for each layer:  x = x + Attention(LayerNorm(x))                   (pre-norm: normalise the
                     x = x + MLP(LayerNorm(x))    [unless attention-only]  input of each sublayer,
    logits = LayerNorm(x) @ W_te^T                                       leave the highway alone)

The unembedding is tied: the same matrix W_te turns ids into vectors at the bottom and vectors
into logits at the top, which saves vocab x d_model parameters (a quarter of this model).

API for other chapters (e.g. the KV-cache demo):

    model = TinyLM.load("tinylm")          # or fieldguide.tinylm.load()
    logits, cache, attn = model.forward(ids)                  # ids: list/1-D array of token ids
    logits, cache, attn = model.forward([next_id], cache=cache)   # one more token, reusing K/V
    # logits: (T, vocab) float32 for the positions fed in; attn: per layer (heads, T, S) or None
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import layers as L
from .config import Config
from .kvcache import KVCache


def init_params(cfg: Config, seed: int, dtype=np.float32) -> dict[str, np.ndarray]:
    """GPT-2 style initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer)."""
    rng = np.random.default_rng(seed)
    d, f = cfg.d_model, cfg.d_ff
    std, proj_std = 0.02, 0.02 / np.sqrt(2 * cfg.n_layer)
    p = {"wte": rng.normal(0, std, (cfg.vocab_size, d)), "wpe": rng.normal(0, 0.01, (cfg.n_ctx, d))}
    for i in range(cfg.n_layer):
        p[f"h{i}.ln1.g"], p[f"h{i}.ln1.b"] = np.ones(d), np.zeros(d)
        p[f"h{i}.attn.w_qkv"] = rng.normal(0, std, (d, 3 * d))
        p[f"h{i}.attn.b_qkv"] = np.zeros(3 * d)
        p[f"h{i}.attn.w_o"] = rng.normal(0, proj_std, (d, d))
        p[f"h{i}.attn.b_o"] = np.zeros(d)
        if cfg.mlp:
            p[f"h{i}.ln2.g"], p[f"h{i}.ln2.b"] = np.ones(d), np.zeros(d)
            p[f"h{i}.mlp.w_in"] = rng.normal(0, std, (d, f))
            p[f"h{i}.mlp.b_in"] = np.zeros(f)
            p[f"h{i}.mlp.w_out"] = rng.normal(0, proj_std, (f, d))
            p[f"h{i}.mlp.b_out"] = np.zeros(d)
    p["lnf.g"], p["lnf.b"] = np.ones(d), np.zeros(d)
    if not cfg.tied:
        p["w_unembed"] = rng.normal(0, std, (d, cfg.vocab_size))
    return {k: v.astype(dtype) for k, v in p.items()}


def weights_sha256(params: dict[str, np.ndarray]) -> str:
    """SHA-256 over every parameter's name, shape and fp16 bytes, in sorted name order.

    It fingerprints the numbers, not the .npz container (whose zip entries carry timestamps), so a
    retrained model can be compared with the shipped one exactly.
    """
    import hashlib
    h = hashlib.sha256()
    for k in sorted(params):
        a = np.ascontiguousarray(params[k], dtype=np.float16)
        h.update(f"{k}:{a.shape}\n".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class TinyLM:
    def __init__(self, cfg: Config, params: dict[str, np.ndarray], meta: dict | None = None):
        self.cfg, self.params, self.meta = cfg, params, meta or {}

    # --- forward -----------------------------------------------------------------------------------

    def _forward(self, idx, cache: KVCache | None = None, keep=False, return_attn=False,
                 last_only=False, head_hook=None, skip=(), record=None):
        """Batched forward. idx: (B, T) ints. Returns logits (B, T, V), caches, attention list.

        Instruments (see `run`): head_hook(layer, z) -> z edits each layer's per-head outputs;
        blocks in `skip` are left out; a `record` dict collects the residual stream and each
        sublayer's output."""
        cfg, p = self.cfg, self.params
        idx = np.asarray(idx)
        B, T = idx.shape
        start = len(cache) if cache is not None else 0
        if start + T > cfg.n_ctx:
            raise ValueError(f"sequence of {start + T} tokens is longer than the model's context "
                             f"of {cfg.n_ctx}")
        if idx.size and (idx.min() < 0 or idx.max() >= cfg.vocab_size):
            raise ValueError(f"token ids must lie in 0..{cfg.vocab_size - 1}")
        x = p["wte"][idx] + p["wpe"][start:start + T]
        saved, attns = [], []
        rec = record.setdefault if record is not None else None
        if rec:
            rec("resid", []).append(x)
        for i in range(cfg.n_layer):
            if i in skip:
                if rec:
                    for k in ("attn_out", "resid_mid", "mlp_out", "heads"):
                        rec(k, []).append(None)
                    rec("resid", []).append(x)
                if return_attn:
                    attns.append(None)
                continue
            hook = None
            if head_hook is not None or rec:
                def hook(z, i=i):
                    z = head_hook(i, z) if head_hook is not None else z
                    if rec:
                        rec("heads", []).append(z)
                    return z
            h, ln1 = L.layernorm_forward(x, p[f"h{i}.ln1.g"], p[f"h{i}.ln1.b"])
            a, at_c, att, kv = L.attention_forward(
                h, p[f"h{i}.attn.w_qkv"], p[f"h{i}.attn.b_qkv"], p[f"h{i}.attn.w_o"],
                p[f"h{i}.attn.b_o"], cfg.n_head, past=cache.past(i) if cache is not None else None,
                head_hook=hook)
            if cache is not None:
                cache.store(i, kv)
            if return_attn:
                attns.append(att)
            x = x + a
            layer = {"ln1": ln1, "attn": at_c}
            m = None
            if cfg.mlp:
                h, ln2 = L.layernorm_forward(x, p[f"h{i}.ln2.g"], p[f"h{i}.ln2.b"])
                u, fc1 = L.linear_forward(h, p[f"h{i}.mlp.w_in"], p[f"h{i}.mlp.b_in"])
                u, act = L.gelu_forward(u)
                m, fc2 = L.linear_forward(u, p[f"h{i}.mlp.w_out"], p[f"h{i}.mlp.b_out"])
                layer.update(ln2=ln2, fc1=fc1, act=act, fc2=fc2)
            if rec:
                rec("attn_out", []).append(a)
                rec("resid_mid", []).append(x)
                rec("mlp_out", []).append(m)
            if m is not None:
                x = x + m
            if rec:
                rec("resid", []).append(x)
            if keep:
                saved.append(layer)
        xf, lnf = L.layernorm_forward(x, p["lnf.g"], p["lnf.b"])
        w_u = p["wte"].T if cfg.tied else p["w_unembed"]
        logits = L.matmul(xf[:, -1:] if last_only else xf, w_u)
        return logits, {"idx": idx, "layers": saved, "lnf": lnf, "xf": xf}, attns

    def forward(self, ids, cache: KVCache | None = None, return_attn: bool = False,
                last_only: bool = False):
        """Logits for one sequence, optionally continuing from a KV cache.

        ids: 1-D token ids (the new positions only, when a cache is given).
        Returns (logits (T, V), cache (a KVCache holding every position so far), attn) where attn is
        a list with one (heads, T, S) array per layer if return_attn, else None. last_only computes
        only the last position's logits (shape (1, V)): the unembedding is a fifth of the work.
        """
        ids = np.asarray(ids, dtype=np.int64).reshape(1, -1)
        cache = KVCache() if cache is None else cache
        logits, _, attns = self._forward(ids, cache, return_attn=return_attn, last_only=last_only)
        return logits[0], cache, ([a[0] for a in attns] if return_attn else None)

    def run(self, ids, ablate=(), patch=None, skip=()) -> dict:
        """One sequence through the model with every intermediate kept, optionally intervened on.

        ablate: (layer, head) pairs whose output is zeroed (zero-ablation).
        patch:  {(layer, head): array (T, head_dim)} replacing those heads' outputs, e.g. another
                run's `heads[layer][head]` (activation patching) or a mean (mean-ablation).
        skip:   block indices left out entirely: the residual stream passes them unchanged.

        Returns a dict of arrays for this sequence (T tokens, H heads, D = head_dim):
          logits (T, V); attn: per layer (H, T, T); heads: per layer (H, T, D), each head's output
          before W_O (after any intervention); resid: n_layer + 1 arrays (T, d_model), the residual
          stream after the embedding and after each block; resid_mid: per layer, after attention and
          before the MLP; attn_out / mlp_out: per layer, what each sublayer added; final: (T,
          d_model) after the last LayerNorm. Skipped blocks have None in the per-layer lists, and
          attention-only models have None for mlp_out.
        """
        ids = np.asarray(ids, dtype=np.int64).reshape(1, -1)
        cfg = self.cfg
        edits: dict[int, list] = {}
        for lh in ablate:
            l, h = (int(v) for v in lh)
            edits.setdefault(l, []).append((h, None))
        for (l, h), val in (patch or {}).items():
            val = np.asarray(val, dtype=np.float32)
            if val.shape != (ids.shape[1], cfg.head_dim):
                raise ValueError(f"patch for layer {l} head {h} must have shape "
                                 f"({ids.shape[1]}, {cfg.head_dim}), not {val.shape}")
            edits.setdefault(int(l), []).append((int(h), val))
        for l, hs in edits.items():
            for h, _ in hs:
                if not (0 <= l < cfg.n_layer and 0 <= h < cfg.n_head):
                    raise ValueError(f"no head {h} in layer {l}: the model has {cfg.n_layer} layers "
                                     f"of {cfg.n_head} heads")
        skip = {int(k) for k in skip}
        if any(not 0 <= k < cfg.n_layer for k in skip):
            raise ValueError(f"blocks to skip must lie in 0..{cfg.n_layer - 1}")

        def head_hook(layer, z):
            if layer not in edits:
                return z
            z = z.copy()
            for h, val in edits[layer]:
                z[0, h] = 0.0 if val is None else val
            return z

        rec: dict = {}
        logits, c, attns = self._forward(ids, return_attn=True, head_hook=head_hook if edits else None,
                                         skip=skip, record=rec)

        def one(a):
            return None if a is None else a[0]
        return {"logits": logits[0], "attn": [one(a) for a in attns],
                "heads": [one(a) for a in rec["heads"]], "resid": [a[0] for a in rec["resid"]],
                "resid_mid": [one(a) for a in rec["resid_mid"]],
                "attn_out": [one(a) for a in rec["attn_out"]],
                "mlp_out": [one(a) for a in rec["mlp_out"]], "final": c["xf"][0]}

    def queries_keys(self, ids) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each layer's per-head queries and keys for one sequence: [(Q, K)], each (heads, T, D).

        With these the attention chapter can recompute a real head's scores under other switches
        (no mask, no 1/sqrt(d), another temperature) than the ones the model was trained with."""
        ids = np.asarray(ids, dtype=np.int64).reshape(1, -1)
        _, c, _ = self._forward(ids, keep=True)
        return [(s["attn"][1][0], s["attn"][2][0]) for s in c["layers"]]

    # --- loss and backward -------------------------------------------------------------------------

    def loss_and_grads(self, idx, targets):
        """Mean cross-entropy of predicting targets from idx (both (B, T)), and d loss / d params."""
        cfg, p = self.cfg, self.params
        logits, c, _ = self._forward(idx, keep=True)
        loss, ce = L.cross_entropy_forward(logits, targets)
        dlogits = L.cross_entropy_backward(ce)
        g = {k: np.zeros_like(v) for k, v in p.items()}
        V, C = p["wte"].shape
        if cfg.tied:                 # the same matrix gets gradient from both of its uses
            g["wte"] += dlogits.reshape(-1, V).T @ c["xf"].reshape(-1, C)
            dx = dlogits @ p["wte"]
        else:
            g["w_unembed"] = c["xf"].reshape(-1, C).T @ dlogits.reshape(-1, V)
            dx = dlogits @ p["w_unembed"].T
        dx, g["lnf.g"], g["lnf.b"] = L.layernorm_backward(dx, c["lnf"])
        for i in reversed(range(cfg.n_layer)):
            s = c["layers"][i]
            if cfg.mlp:
                du, g[f"h{i}.mlp.w_out"], g[f"h{i}.mlp.b_out"] = L.linear_backward(dx, s["fc2"])
                du = L.gelu_backward(du, s["act"])
                dh, g[f"h{i}.mlp.w_in"], g[f"h{i}.mlp.b_in"] = L.linear_backward(du, s["fc1"])
                dh, g[f"h{i}.ln2.g"], g[f"h{i}.ln2.b"] = L.layernorm_backward(dh, s["ln2"])
                dx = dx + dh                                       # the residual passes dx through
            dh, g[f"h{i}.attn.w_qkv"], g[f"h{i}.attn.b_qkv"], g[f"h{i}.attn.w_o"], \
                g[f"h{i}.attn.b_o"] = L.attention_backward(dx, s["attn"])
            dh, g[f"h{i}.ln1.g"], g[f"h{i}.ln1.b"] = L.layernorm_backward(dh, s["ln1"])
            dx = dx + dh
        T = c["idx"].shape[1]
        g["wpe"][:T] += dx.sum(0)
        np.add.at(g["wte"], c["idx"].reshape(-1), dx.reshape(-1, C))
        return float(loss), g

    # --- persistence -------------------------------------------------------------------------------

    def n_params(self) -> int:
        return int(sum(v.size for v in self.params.values()))

    def save_weights(self, path: Path) -> None:
        """fp16 .npz: half the bytes of float32, and a tiny model loses nothing it can afford."""
        np.savez_compressed(path, **{k: v.astype(np.float16) for k, v in self.params.items()})

    def weights_sha256(self) -> str:
        """A fingerprint of the weights as shipped (fp16): what `make train-check` compares."""
        return weights_sha256(self.params)

    @classmethod
    def load(cls, name: str = "tinylm", folder: Path | None = None) -> "TinyLM":
        """A shipped model from the package data (works in Pyodide: the wheel carries the files).

        Weights are stored as fp16 and computed with in float32.
        """
        if folder is None:
            import fieldguide.data
            folder = Path(fieldguide.data.__file__).parent / "tinylm"
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
        if name not in manifest["models"]:
            raise ValueError(f"no shipped model {name!r}; have {', '.join(manifest['models'])}")
        meta = manifest["models"][name]
        with np.load(Path(folder) / f"{name}.npz") as z:
            params = {k: z[k].astype(np.float32) for k in z.files}
        return cls(Config.from_dict(meta["config"]), params, meta)
