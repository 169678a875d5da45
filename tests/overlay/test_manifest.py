"""Package verification: the board, the plan hash, every file's hash, the bitstream."""

from __future__ import annotations

import json

import pytest
from toolkit_overlay.errors import OverlayError
from toolkit_overlay.manifest import load_manifest, verify_package, write_manifest

from .fake_package import make_package


@pytest.fixture
def pkg(tmp_path):
    return make_package(tmp_path, bitstream=True, runtime=False)


def test_a_fresh_package_verifies(pkg) -> None:
    m = verify_package(pkg, "Pynq-Z2")  # PYNQ's $BOARD spelling
    assert m.board == "pynq-z2" and m.axis_in.beats == 2 and m.axis_out.beats == 1
    assert sorted(m.raw["files"]) == ["board.json", "plan.json", "toolkit_accel.bit", "toolkit_accel.hwh",
                                      "vectors.npz"]  # fmt: skip
    assert m.require_bitstream() == pkg / "toolkit_accel.bit"
    assert not [p for p in pkg.iterdir() if p.name.startswith(".")]  # atomic write left nothing behind


def test_wrong_board(pkg) -> None:
    with pytest.raises(OverlayError, match="package built for pynq-z2, this board is zcu104"):
        verify_package(pkg, "zcu104")


def test_tampered_plan_is_a_hash_mismatch(pkg) -> None:
    (pkg / "plan.json").write_text('{"format": "toolkit-plan", "version": 1, "layers": [{"name": "fc1"}]}\n')
    with pytest.raises(
        OverlayError, match="does not match the manifest's plan_hash.*changed after packaging"
    ):
        verify_package(pkg)


def test_changed_or_missing_files(pkg) -> None:
    (pkg / "toolkit_accel.bit").write_bytes(b"other")
    with pytest.raises(
        OverlayError, match="toolkit_accel.bit has sha256 .* the file changed after packaging"
    ):
        verify_package(pkg)
    (pkg / "toolkit_accel.bit").unlink()
    with pytest.raises(OverlayError, match="toolkit_accel.bit is listed in the manifest but missing"):
        verify_package(pkg)


def test_missing_bitstream(tmp_path) -> None:
    m = verify_package(make_package(tmp_path, bitstream=False, runtime=False))
    with pytest.raises(
        OverlayError, match=r"has no bitstream \(manifest bitstream = null.*rebuild it with Vivado"
    ):
        m.require_bitstream()


def test_bad_manifests(pkg, tmp_path) -> None:
    with pytest.raises(OverlayError, match="does not exist: expected an overlay package folder"):
        load_manifest(tmp_path / "nowhere")
    raw = json.loads((pkg / "manifest.json").read_text())
    for change, match in (({"format": "x"}, "format 'x': expected 'toolkit-overlay'"),
                          ({"version": 2}, "version 2: this runtime reads version 1"),
                          ({"input_shape": [3, 5]}, r"input_shape \[3, 5\] has 15 codes; stream has 12"),
                          ({"stream": {"data_bits": 96, "in": {}, "out": {}}}, "stream.in.code_bits = None")):  # fmt: skip
        (pkg / "manifest.json").write_text(json.dumps({**raw, **change}))
        with pytest.raises(OverlayError, match=match):
            load_manifest(pkg)
    (pkg / "manifest.json").write_text(json.dumps({k: v for k, v in raw.items() if k != "files"}))
    with pytest.raises(OverlayError, match="lacks files"):
        load_manifest(pkg)


def test_write_manifest_checks_its_fields(pkg) -> None:
    with pytest.raises(OverlayError, match="manifest fields lack model_hash"):
        write_manifest(pkg, {"board": "pynq-z2", "model": "m"})
    fields = {k: v for k, v in json.loads((pkg / "manifest.json").read_text()).items() if k not in ("files",)}
    with pytest.raises(OverlayError, match="no such file"):
        write_manifest(pkg, {**fields, "bitstream": "other.bit"})
    with pytest.raises(OverlayError, match="version 3: expected 1"):
        write_manifest(pkg, {**fields, "version": 3})
    assert write_manifest(pkg, {**fields, "extra": 1})["extra"] == 1  # extra fields are kept


def test_pynq_device_without_pynq_is_a_clear_error(pkg) -> None:
    from toolkit_overlay.device import PynqDevice

    with pytest.raises(OverlayError, match="cannot import pynq.*needs a PYNQ image"):
        PynqDevice(pkg / "toolkit_accel.bit")
