"""The memory ladder: published bandwidths, one direction, checked against the book map's numbers."""

import pytest

from fieldguide import data, roofline


def _by_name(rows, start):
    return next(r for r in rows if r["level"].startswith(start))


def test_sixteen_gb_over_h100_hbm_takes_about_five_ms():
    rows = roofline.transfer_times(16e9, "H100 SXM")
    assert _by_name(rows, "HBM")["seconds"] == pytest.approx(16e9 / 3.35e12)
    assert 4.7e-3 < _by_name(rows, "HBM")["seconds"] < 4.9e-3


def test_nvme_is_about_480_times_slower_than_hbm():
    rows = roofline.transfer_times(1e9, "H100 SXM")
    ratio = _by_name(rows, "NVMe")["seconds"] / _by_name(rows, "HBM")["seconds"]
    assert 470 < ratio < 490


def test_nvlink_is_halved_to_one_direction_and_levels_get_slower():
    rows = roofline.transfer_times(1e9, "H100 SXM")
    assert _by_name(rows, "NVLink 4")["bandwidth"] == 450e9        # 900 GB/s counts both directions
    timed = [r["seconds"] for r in rows if r["seconds"] is not None]
    assert timed == sorted(timed)                                   # a ladder: each rung slower
    assert _by_name(rows, "L2")["seconds"] is None                  # unpublished, not guessed


def test_capacity_and_gpus_without_links():
    rows = roofline.transfer_times(100e9, "H100 SXM")
    assert _by_name(rows, "HBM")["fits"] is False and _by_name(rows, "L2")["fits"] is False
    assert _by_name(roofline.transfer_times(16e9, "H200"), "HBM")["fits"] is True
    l4 = [r["level"] for r in roofline.levels("L4")]
    assert not any("NVLink" in name for name in l4) and any("PCIe Gen4" in name for name in l4)
    with pytest.raises(ValueError):
        roofline.transfer_times(0, "H100 SXM")
    assert data.load("links")["as_of"]
