"""The shipped models: files, manifest, tokenizer, and that they do what the book says."""

import hashlib
import json

import numpy as np

from fieldguide import sampling, tinylm
from fieldguide.tinylm import Config


def test_manifest_records_everything_needed_to_rebuild():
    man = tinylm.manifest()
    corpus = man["corpus"]
    assert corpus["licence"].startswith("Python Software Foundation")
    assert corpus["n_files"] == len(corpus["files"]) > 100
    assert all(len(sha) == 64 for _, sha in corpus["files"])
    assert corpus["python"].startswith("3.12")
    for name in ("tinylm", "induction"):
        rec = man["models"][name]
        for key in ("config", "seed", "steps", "batch", "lr_schedule", "wall_seconds",
                    "final_train_loss", "final_val_loss", "loss_curve", "induction_score", "hardware"):
            assert key in rec, (name, key)
        curve = rec["loss_curve"]
        assert curve["train_loss"][-1] < curve["train_loss"][0] - 1.0, name    # it learned
        assert Config.from_dict(rec["config"]).n_params() == rec["n_params"]


def test_weights_are_fp16_and_a_few_mb():
    folder = tinylm.folder()
    total = 0
    for name in tinylm.manifest()["models"]:
        path = folder / f"{name}.npz"
        total += path.stat().st_size
        with np.load(path) as z:
            assert all(z[k].dtype == np.float16 for k in z.files)
    assert total < 4_000_000


def test_shipped_weights_are_the_ones_the_manifest_fingerprints():
    """`make train-check` compares a retrained model's digest with this one, so it must describe
    the committed weights, not an older run."""
    for name, rec in tinylm.manifest()["models"].items():
        assert tinylm.load(name).weights_sha256() == rec["weights_sha256"], name


def test_weights_digest_ignores_the_container_and_sees_every_number(tmp_path):
    from fieldguide.tinylm.model import TinyLM, weights_sha256
    m = tinylm.load("induction")
    for i in (1, 2):
        m.save_weights(tmp_path / f"{i}.npz")
    loaded = [TinyLM.load("induction", tinylm.folder()).params]
    for i in (1, 2):
        with np.load(tmp_path / f"{i}.npz") as z:
            loaded.append({k: z[k] for k in z.files})
    assert len({weights_sha256(p) for p in loaded}) == 1
    changed = dict(loaded[0])
    changed["lnf.b"] = changed["lnf.b"].copy()
    changed["lnf.b"][0] += np.float32(0.01)
    assert weights_sha256(changed) != weights_sha256(loaded[0])


def test_tokenizer_file_matches_manifest_and_round_trips():
    tok = tinylm.manifest()["tokenizer"]
    raw = (tinylm.folder() / tok["file"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == tok["sha256"]
    assert tok["n_vocab"] == tinylm.load().cfg.vocab_size == 2048
    text = "Return the number of items.\n    >>> len([1, 2])\n"
    assert tinylm.decode(tinylm.encode(text)) == text
    assert len(tinylm.encode(text)) < len(text.encode()) / 2      # BPE actually compresses


def test_tinylm_is_much_better_than_chance_on_its_corpus_style():
    ids = tinylm.encode("Return the number of items in the list.")
    lp = tinylm.continuation_logprobs(ids[:3], ids[3:])
    assert -lp.mean() < 0.6 * np.log(2048)           # far below a uniform guess
    rec = tinylm.manifest()["models"]["tinylm"]
    assert rec["final_val_loss"] < 5.5           # uniform guessing would be ln 2048 = 7.62


def test_generate_greedy_is_deterministic_and_sampling_is_seeded():
    ids = tinylm.encode("This module provides")
    a = tinylm.generate(ids, 12, temperature=0)
    b = tinylm.generate(ids, 12, temperature=0)
    assert a == b and len(a["ids"]) == 12
    c = tinylm.generate(ids, 12, temperature=1.0, seed=3)
    assert c == tinylm.generate(ids, 12, temperature=1.0, seed=3)
    z = tinylm.next_logits(ids)
    assert a["ids"][0] == int(np.argmax(z))
    assert sampling.softmax(z)[a["ids"][0]] == max(a["probs"][:1])


def test_frontier_ratio_is_computed_from_the_config():
    n = Config.from_dict(tinylm.manifest()["models"]["tinylm"]["config"]).n_params()
    assert tinylm.frontier_ratio() == 405e9 / n
    assert 1e5 < tinylm.frontier_ratio() < 1e6
    assert json.dumps(tinylm.FRONTIER_PARAMS)
