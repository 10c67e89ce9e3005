"""The shape of a tiny decoder-only transformer, in one small record.

Everything that decides how many numbers the model has lives here, so the parameter count can be
computed (and checked against the frontier) without building the model.

Positions: learned absolute position embeddings (one vector per slot, added to the token
embedding), as in GPT-2 and nanoGPT. They are the simplest scheme that works, they cost only
`n_ctx x d_model` numbers, and they keep the attention maths in this package free of rotations, so
the attention chapter can show raw QK^T scores. The position chapter discusses RoPE and its kin.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Config:
    vocab_size: int = 2048
    n_ctx: int = 256          # longest sequence the position table covers
    d_model: int = 128
    n_layer: int = 4
    n_head: int = 4
    d_ff: int = 512           # hidden width of the GELU MLP (4 x d_model)
    mlp: bool = True          # False gives an attention-only model (the induction-head study)
    tied: bool = True         # unembedding = token embedding transposed; False gives it its own matrix

    def __post_init__(self):
        for name in ("vocab_size", "n_ctx", "d_model", "n_layer", "n_head", "d_ff"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"Config.{name} must be a positive integer")
        if self.d_model % self.n_head:
            raise ValueError(f"d_model {self.d_model} is not divisible by n_head {self.n_head}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_head

    def n_params(self) -> int:
        """Number of trained numbers. The unembedding is tied to the token embedding, so it is free."""
        d, f = self.d_model, self.d_ff
        attn = d * 3 * d + 3 * d + d * d + d           # W_qkv, b_qkv, W_o, b_o
        mlp = (d * f + f + f * d + d) if self.mlp else 0
        norms = 2 * d * (2 if self.mlp else 1)         # LayerNorm gain + bias before each sublayer
        per_layer = attn + mlp + norms
        unembed = 0 if self.tied else d * self.vocab_size
        return self.vocab_size * d + self.n_ctx * d + self.n_layer * per_layer + 2 * d + unembed

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
