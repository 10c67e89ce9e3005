import math

import pytest

from fieldguide import parallel as P
from fieldguide.models import Architecture


# --- the pipeline bubble --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["GPipe", "1F1B"])
@pytest.mark.parametrize("p,m", [(1, 1), (2, 1), (4, 4), (4, 8), (8, 32), (16, 64), (5, 3)])
def test_simulated_bubble_matches_formula(kind, p, m):
    s = P.pipeline_schedule(p, m, kind)
    assert s["bubble"] == pytest.approx((p - 1) / (m + p - 1))
    assert s["bubble"] == pytest.approx(P.bubble_fraction(p, m))
    assert s["makespan"] == (m + p - 1) * (s["t_f"] + s["t_b"])
    assert len(s["ops"]) == 2 * p * m


def test_bubble_worked_values():
    assert P.bubble_fraction(4, 4) == pytest.approx(3 / 7)
    assert P.bubble_fraction(4, 32) == pytest.approx(3 / 35)
    assert P.bubble_fraction(1, 1) == 0


@pytest.mark.parametrize("p,m", [(4, 8), (8, 8), (3, 2)])
def test_peak_activations(p, m):
    g = P.pipeline_schedule(p, m, "GPipe")["peak_activations"]
    f = P.pipeline_schedule(p, m, "1F1B")["peak_activations"]
    assert g == [m] * p                                 # GPipe holds every micro-batch
    assert f == [min(p - s, m) for s in range(p)]       # 1F1B: at most p, on the first stage


def test_schedule_respects_dependencies():
    s = P.pipeline_schedule(4, 6, "1F1B")
    end = {(st, op, j): e for st, op, j, b, e in s["ops"]}
    for st, op, j, b, e in s["ops"]:
        if op == "F" and st > 0:
            assert b >= end[(st - 1, "F", j)]
        if op == "B":
            assert b >= end[(st + 1, "B", j)] if st < 3 else b >= end[(st, "F", j)]
    by_stage = {}
    for st, op, j, b, e in s["ops"]:                    # a stage runs one op at a time
        by_stage.setdefault(st, []).append((b, e))
    for spans in by_stage.values():
        spans.sort()
        assert all(b2 >= e1 for (_, e1), (b2, _) in zip(spans, spans[1:]))


def test_schedule_rejects_bad_input():
    with pytest.raises(ValueError):
        P.pipeline_schedule(0, 4)
    with pytest.raises(ValueError):
        P.pipeline_schedule(4, 4, "zero-bubble")


# --- collectives -------------------------------------------------------------------------------------

def test_comm_bytes_ring_formulas():
    assert P.comm_bytes("all-reduce", 100.0, 4) == pytest.approx(150.0)
    assert P.comm_bytes("all-gather", 100.0, 4) == pytest.approx(75.0)
    assert P.comm_bytes("reduce-scatter", 100.0, 4) == pytest.approx(75.0)
    assert P.comm_bytes("all-reduce", 100.0, 1) == 0
    # FSDP moves 1.5× what plain DP's all-reduce moves (ZeRO paper: 3Ψ vs 2Ψ)
    fsdp = 2 * P.comm_bytes("all-gather", 1.0, 64) + P.comm_bytes("reduce-scatter", 1.0, 64)
    assert fsdp / P.comm_bytes("all-reduce", 1.0, 64) == pytest.approx(1.5)
    with pytest.raises(ValueError):
        P.comm_bytes("broadcast", 1.0, 4)


def test_link_conventions():
    nv, ib = P.link_bandwidth(False), P.link_bandwidth(True)
    assert nv["bytes_per_s"] == 450e9                  # NVLink 4: 900 GB/s both directions
    assert ib["bytes_per_s"] == 50e9                   # 400 Gb/s = 50 GB/s per direction


# --- layouts ----------------------------------------------------------------------------------------

def test_toy_arch_size():
    a = P.toy_arch(70e9, 80)
    assert a.num_layers == 80 and a.num_heads % 8 == 0
    assert 0.8 < a.n_params / 70e9 < 1.2
    m = P.toy_arch(70e9, 80, moe=True)
    assert m.is_moe and m.num_experts == P.TOY_EXPERTS
    assert 0.8 < m.n_params / a.n_params < 1.2


def test_stages_cover_the_model():
    a = Architecture.preset("Llama-3.1-405B")
    for p in (1, 2, 16, 126):
        st = P.stages(a, p)
        assert sum(s["params"] for s in st) == a.n_params
        assert st[0]["first"] == 0 and st[-1]["last"] == a.num_layers - 1
    with pytest.raises(ValueError):
        P.stages(a, 127)


def test_layout_memory_per_mode():
    a = P.toy_arch(70e9, 80)
    N, n = a.n_params, 16
    dp, fsdp, tp, pp = (P.layout(m, n, a) for m in ("DP", "FSDP", "TP", "PP"))
    assert dp["max_state_bytes"] == 16 * N
    assert fsdp["max_state_bytes"] == pytest.approx(16 * N / n)
    assert tp["max_state_bytes"] == pytest.approx(16 * N / n)
    assert sum(g["params"] for g in pp["gpus"]) == N
    assert dp["collectives"][0]["bytes_per_gpu"] == pytest.approx(2 * (n - 1) / n * 2 * N)
    assert sum(c["bytes_per_gpu"] for c in fsdp["collectives"]) == pytest.approx(
        1.5 * dp["collectives"][0]["bytes_per_gpu"])
    # TP over 16 GPUs spans two nodes and runs at InfiniBand speed
    assert tp["collectives"][0]["link"].startswith("InfiniBand")
    assert P.layout("TP", 8, a)["collectives"][0]["link"] == "NVLink 4"
    with pytest.raises(ValueError):
        P.layout("EP", 8, a)                            # a dense model has no experts
    ep = P.layout("EP", 16, P.toy_arch(70e9, 80, moe=True))
    assert ep["max_state_bytes"] < dp["max_state_bytes"]
    assert any(c["kind"] == "all-to-all" for c in ep["collectives"])


# --- the planner --------------------------------------------------------------------------------------

def test_405b_bf16_needs_two_nodes():
    r = P.plan("Llama-3.1-405B", "H100 SXM", 8, "bf16")
    assert (r["tp"], r["pp"]) == (8, 2)
    assert r["weights_total"] > r["node_capacity"]          # 811.7 GB > one node's memory
    assert r["weights_total"] / 1e9 == pytest.approx(811.7, abs=0.1)
    assert r["weights_per_gpu"] <= r["capacity"]


def test_planner_rules():
    assert (P.plan("Llama-3.1-405B", "H100 SXM", 8, "fp8")["tp"],
            P.plan("Llama-3.1-405B", "H100 SXM", 8, "fp8")["pp"]) == (8, 1)
    r = P.plan("Llama-3.1-8B", "H100 SXM", 8, "bf16")
    assert (r["tp"], r["pp"], r["gpus"]) == (1, 1, 1)
    assert P.plan("Llama-3.1-70B", "H100 SXM", 8, "bf16")["tp"] == 2
    assert P.plan("Llama-3.1-405B", "H100 SXM", 4, "bf16")["pp"] == 3
    ds = P.plan("DeepSeek-V3", "H100 SXM", 8, "bf16")
    assert ds["ep"] == 8 and ds["moe"]
    assert P.plan("DeepSeek-V3", "H100 SXM", 8, "bf16", moe=False)["ep"] == 1
    assert P.plan("Llama-3.1-405B", "H100 SXM")["min_gpus_full_shard"] == math.ceil(
        16 * 405_853_388_800 / (81559 * 2 ** 20))
    with pytest.raises(ValueError):
        P.plan("Llama-3.1-405B", "H100 SXM", 8, "int4")


def test_four_ways_claims_in_the_chapter():
    """The chapter's reading of the four_ways_to_split defaults (70B-class, 16 GPUs)."""
    a = P.toy_arch(70e9, 80)
    lay = {m: P.layout(m, 16, a) for m in ("DP", "PP", "TP", "FSDP")}
    sent = {m: sum(c["bytes_per_gpu"] for c in v["collectives"]) for m, v in lay.items()}
    assert min(sent, key=sent.get) == "PP"                       # PP sends the fewest bytes
    assert lay["DP"]["max_state_bytes"] > 1e12                   # "terabytes" per GPU
    assert lay["FSDP"]["max_state_bytes"] < 80e9                 # FSDP fits an 80 GB GPU
    tp8 = P.layout("TP", 8, a)
    assert tp8["comm_seconds"] < lay["TP"]["comm_seconds"] / 5   # TP off NVLink is far slower
    assert lay["TP"]["comm_seconds"] > lay["TP"]["compute_seconds"]
    pp = P.layout("PP", 32, P.toy_arch(70e9, 8))                 # more GPUs than layers
    assert sum(1 for g in pp["gpus"] if g["params"] == 0) == 24 and pp["notes"]
    assert pp["collectives"][0]["link"] == "NVLink 4"            # 8 stages fit in one server
    assert lay["PP"]["collectives"][0]["link"].startswith("InfiniBand")
