"""The key/value cache: why generating token n+1 need not redo the work for tokens 1..n.

In a causal model, the keys and values of earlier positions never change when a later token
arrives (a token only looks backwards). So after a forward pass we keep each layer's K and V, and
the next step feeds only the new token: its query attends over the stored keys plus its own. The
logits are the same as recomputing everything (the tests check it); the work per new token drops
from the whole prefix to one position. The price is memory that grows with every token:
2 (K and V) x layers x d_model numbers per token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class KVCache:
    """Per-layer (K, V), each shaped (batch, heads, positions so far, head_dim)."""
    layers: list = field(default_factory=list)

    def __len__(self) -> int:
        """How many positions are cached."""
        return 0 if not self.layers else int(self.layers[0][0].shape[2])

    def past(self, layer: int):
        return self.layers[layer] if layer < len(self.layers) else None

    def store(self, layer: int, kv) -> None:
        if layer < len(self.layers):
            self.layers[layer] = kv
        else:
            self.layers.append(kv)

    def nbytes(self) -> int:
        return sum(k.nbytes + v.nbytes for k, v in self.layers)

    def copy(self) -> "KVCache":
        return KVCache([(np.array(k), np.array(v)) for k, v in self.layers])
