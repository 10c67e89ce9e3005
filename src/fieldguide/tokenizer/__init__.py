"""Tokenization, for real: exact tiktoken `o200k_base` / `cl100k_base` ids in pure Python.

    from fieldguide.tokenizer import get_encoding
    enc = get_encoding("o200k_base")
    ids = enc.encode_ordinary("strawberry")       # [302, 1618, 19772]: st|raw|berry
    enc.decode(ids)                               # 'strawberry'

Modules, one idea each:
  pretokenize  the split patterns, with Unicode classes built from `unicodedata`
  bpe          merging one piece's bytes by rank
  encoding     the Encoding object (cache, special tokens, decode) and get_encoding
  train        learning a vocabulary: count pairs, merge the most frequent, repeat
  measure      counts and fertility for the demos
"""

from .encoding import (Encoding, get_encoding, list_encoding_names, load_tiktoken_ranks,
                       save_tiktoken_ranks)
from .measure import fertility, monthly_cost, partial_utf8, stats
from .pretokenize import split
from .train import BPE, apply_merges, train_bpe

__all__ = ["BPE", "Encoding", "apply_merges", "fertility", "get_encoding", "list_encoding_names",
           "load_tiktoken_ranks", "monthly_cost", "partial_utf8", "save_tiktoken_ranks", "split",
           "stats", "train_bpe"]
