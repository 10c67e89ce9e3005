"""The memory ladder: how long moving the same bytes takes at each level a GPU can reach.

Decode time is bytes over bandwidth (see `serving.decode_step`), so where the bytes live decides
everything. This module lines up the levels with published figures — HBM from the GPU table
(`data/gpus.json`), links from `data/links.json` (NVLink halved to one direction, PCIe from the
PCI-SIG line rates, an InfiniBand NDR port, a Gen4 NVMe drive) — and the capacities where they are
published (L2 size, HBM size). On-chip SRAM and L2 *bandwidths* are not in NVIDIA's datasheets, so
they are reported as unpublished rather than guessed.
"""

from __future__ import annotations

from fieldguide import data


def _links() -> dict:
    return data.load("links")


def levels(gpu: str) -> list[dict]:
    """The ladder for one GPU, fastest first: name, bandwidth per direction (bytes/s or None),
    capacity (bytes or None), source."""
    g = data.gpu(gpu)
    L = _links()
    out = []
    if g.get("l2_mb"):
        out.append({"level": "L2 cache (on chip)", "bandwidth": None, "capacity": g["l2_mb"] * 1e6,
                    "source": g["source"] + " (capacity; bandwidth not published)"})
    out.append({"level": f"HBM ({g.get('memory_type') or 'device memory'})",
                "bandwidth": g["bandwidth_tbs"] * 1e12, "capacity": g["memory_gb"] * 1e9,
                "source": g["source"]})
    nv = g.get("nvlink") or ""
    link = next((r for r in L["nvlink"] if nv.startswith(r["prefix"])), None)
    if link:
        out.append({"level": f"{link['prefix']} to a peer GPU (one direction)",
                    "bandwidth": link["per_direction_gbs"] * 1e9, "capacity": None, "source": link["source"]})
    pcie = next((r for r in L["pcie"] if r["gen"] == g.get("pcie")), None)
    if pcie:
        out.append({"level": f"PCIe {pcie['gen']} x16 to the host (one direction)",
                    "bandwidth": pcie["per_direction_gbs"] * 1e9, "capacity": None, "source": pcie["source"]})
    for key in ("network", "storage"):
        r = L[key]
        out.append({"level": r["name"], "bandwidth": r["per_direction_gbs"] * 1e9, "capacity": None,
                    "source": r["source"]})
    return out


def transfer_times(size_bytes: float, gpu: str) -> list[dict]:
    """Each level of `levels(gpu)` with `seconds` to move size_bytes (None where the bandwidth is
    unpublished) and `fits` (whether size_bytes fits the level's capacity; None if unbounded)."""
    size = float(size_bytes)
    if not size > 0:
        raise ValueError("size must be a positive number of bytes")
    out = []
    for lv in levels(gpu):
        bw, cap = lv["bandwidth"], lv["capacity"]
        out.append(dict(lv, seconds=None if bw is None else size / bw,
                        fits=None if cap is None else size <= cap))
    return out
