"""Step through one speculative pass on tinylm. The draft guesses γ tokens; tinylm scores all of them
in one forward pass; the guesses are kept up to the first one it rejects, and tinylm itself supplies
one more token (the correction, or a bonus when every guess survived). Try the random draft to see
a pass that still yields one token, and sampling mode to see min(1, p/q) at work.
"""

import numpy as np

from fieldguide import speculative as sp, tinylm

TITLE = "One verify step, on tinylm"
BADGE = "TINY-REAL"
ASSETS = []
CONTROLS = [
    {"name": "prompt", "kind": "text", "label": "Prompt", "default": "Return the number of",
     "maxlength": 600},
    {"name": "draft", "kind": "select", "label": "Draft",
     "options": [["bigram", "bigram counts from tinylm's corpus"], ["random", "random (uniform)"]],
     "default": "bigram"},
    {"name": "gamma", "kind": "range", "label": "Draft length γ", "min": 1, "max": 8, "step": 1, "default": 4},
    {"name": "mode", "kind": "select", "label": "Mode",
     "options": [["greedy", "greedy (match the argmax)"], ["sampling", "sampling (min(1, p/q) + residual)"]],
     "default": "greedy"},
    {"name": "temperature", "kind": "range", "label": "Temperature T", "min": 0.1, "max": 1.5,
     "step": 0.05, "default": 1.0},
    {"name": "step", "kind": "range", "label": "Step (0 = drafted, γ + 1 = done)", "min": 0, "max": 9,
     "step": 1, "default": 9},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]


def _show(s):
    return s.replace("\n", "↵").replace("\t", "⇥") or "∅"


def render(prompt="Return the number of", draft="bigram", gamma=4, mode="greedy", temperature=1.0,
           step=9, seed=0):
    ids = tinylm.encode(prompt)
    if not ids:
        raise ValueError("Type a prompt: the model needs at least one token to continue.")
    g = int(round(gamma))
    r = sp.verify(sp.TinyLMTarget(), sp.draft(draft), ids, g, mode, temperature,
                  np.random.default_rng(int(seed)))
    k = min(int(round(step)), g + 1)
    n = r["n_accepted"]
    strings = tinylm.token_strings(r["drafted"] + [r["fix"]])
    greedy = mode == "greedy"
    chips = [{"text": tinylm.decode(r["ids"][-30:]), "group": 0, "muted": True, "title": "the prompt (last 30 tokens)"}]
    rows = []
    for i, (s, st) in enumerate(zip(strings, r["steps"])):
        seen = i < k
        if not seen:
            verdict, group = "drafted, not yet checked", None
        elif not st["checked"]:
            verdict, group = "discarded (after a rejection)", None
        elif st["accepted"]:
            verdict, group = "accepted", 1
        else:
            verdict, group = "rejected", 3
        chip = {"text": s, "id": int(st["token"]), "title": f"draft {i + 1}: {verdict}"}
        if group is None:
            chip["muted"] = True
        else:
            chip["group"] = group
        chips.append(chip)
        test = (("= argmax ✓" if st["accept_prob"] == 1 else "≠ argmax ✗") if greedy
                else f"{st['accept_prob']:.3f}")
        live = seen and st["checked"]
        rows.append([i + 1, _show(s), f"{st['q']:.3g}", f"{st['p']:.3g}",
                     f"{_show(tinylm.token_strings([st['target_top']])[0])} ({st['target_top_p']:.2f})",
                     test if live else ("…" if not seen else "—"),
                     ("—" if st["u"] is None else f"{st['u']:.3f}") if live else ("…" if not seen else "—"),
                     verdict, f"{st['alpha']:.2f}"])
    done = k == g + 1
    if done:
        chips.append({"text": strings[-1], "id": int(r["fix"]), "group": 2,
                      "title": f"tinylm's own token ({r['fix_kind']}), p = {r['fix_prob']:.3f}"})
    where = ("the bonus row after all γ drafts" if r["fix_kind"] == "bonus" else
             f"position {r['fix_row'] + 1}, " + ("its argmax" if greedy else "a draw from norm(max(0, p − q))"))
    if k == 0:
        note = f"The draft has proposed {g} tokens. Nothing is checked yet: the next step runs tinylm once over all of them."
    elif not done:
        st = r["steps"][k - 1]
        note = (f"Position {k}: " + ("already past a rejection; discarded without a look." if not st["checked"] else
                ("kept: it is tinylm's top token." if greedy and st["accepted"] else
                 "rejected: tinylm's top token is a different one." if greedy else
                 f"accept if u < min(1, p/q) = {st['accept_prob']:.3f}; u = {st['u']:.3f}, so "
                 + ("kept." if st["accepted"] else "rejected."))))
    else:
        note = (f"Done: {n} accepted + 1 from tinylm ({r['fix_kind']}, taken at {where}) = "
                f"{len(r['produced'])} token{'s' if len(r['produced']) > 1 else ''} for one tinylm pass.")
    return [
        {"kind": "stats", "items": [
            {"label": "Drafted γ", "value": str(g)},
            {"label": "Accepted", "value": str(n) if done else "…"},
            {"label": "Tokens this pass", "value": str(len(r["produced"])) if done else "…",
             "note": "accepted + 1"},
            {"label": "Mean α of checked positions", "value": f"{np.mean([s['alpha'] for s in r['steps'] if s['checked']]):.2f}",
             "note": f"1 − TV(p, q) at T = {temperature:g}"},
            {"label": "Seed", "value": str(int(seed)),
             "note": "picks u and the draws" if not greedy else
                     ("picks the random guesses" if draft == "random" else "unused: nothing is drawn")},
        ]},
        {"kind": "tokens", "tokens": chips,
         "caption": "Prompt (grey), then the draft's guesses: accepted, rejected, or greyed out (unchecked or "
                    "discarded), and finally tinylm's own token."},
        {"kind": "table", "columns": ["#", "draft token", "q(x)", f"target p(x) at T={temperature:g}",
                                      "target's top token", "test" if greedy else "min(1, p/q)", "u", "verdict",
                                      "α = 1 − TV"],
         "rows": rows, "caption": "One row per drafted position; tinylm scored them all in a single forward pass."},
        {"kind": "text", "text": note},
        {"kind": "text", "text": tinylm.scale_note() + " The bigram draft is counted from the same corpus "
                                 "with the same tokenizer, so its guesses are tinylm's token ids."},
    ]
