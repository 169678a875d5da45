"""A placed bitstream is checked: Xilinx header and sync word, the board's part, a plausible size, the .hwh."""

from __future__ import annotations

import pytest
from toolkit_overlay.bitstream import check_bitstream, read_header, write_synthetic_bitstream
from toolkit_overlay.errors import OverlayError

PARTS = ["xc7z020clg400-1", "xczu7ev-ffvc1156-2-e", "xczu3eg-sbva484-1-i", "xck26-sfvc784-2LV-c"]


def pair(tmp_path, part="xc7z020clg400-1", **kw):
    bit = write_synthetic_bitstream(tmp_path / "toolkit.bit", part, **kw)
    (tmp_path / "toolkit.hwh").write_text("<hwh/>")
    return bit


@pytest.mark.parametrize("part", PARTS)
def test_a_well_formed_bitstream_for_the_part_passes(tmp_path, part) -> None:
    header = check_bitstream(pair(tmp_path, part), part)
    assert header["data_bytes"] == 131072 and header["hwh"] == "toolkit.hwh"


def test_anything_else_is_refused(tmp_path) -> None:
    bit = pair(tmp_path)
    data = bit.read_bytes()
    with pytest.raises(OverlayError, match="was built for part '7z020clg400', not 'xczu7ev-ffvc1156-2-e'"):
        check_bitstream(bit, "xczu7ev-ffvc1156-2-e")
    bit.write_bytes(b"bit\n")  # what a stand-in or a wrong tool writes
    with pytest.raises(OverlayError, match="is not a Xilinx bitstream"):
        check_bitstream(bit, "xc7z020clg400-1")
    bit.write_bytes(data[:-100])
    with pytest.raises(OverlayError, match="announces 131072 bytes .* holds 130972 .truncated"):
        check_bitstream(bit, "xc7z020clg400-1")
    bit.write_bytes(data.replace(bytes.fromhex("aa995566"), bytes(4)))
    with pytest.raises(OverlayError, match="no sync word AA995566"):
        check_bitstream(bit, "xc7z020clg400-1")
    pair(tmp_path, data_bytes=1024)
    with pytest.raises(OverlayError, match="1024 bytes of configuration data is implausible for 7z020"):
        check_bitstream(bit, "xc7z020clg400-1")
    pair(tmp_path, data_bytes=5_000_000)
    with pytest.raises(OverlayError, match="implausible for 7z020"):
        check_bitstream(bit, "xc7z020clg400-1")
    (tmp_path / "toolkit.hwh").unlink()
    with pytest.raises(OverlayError, match="has no hardware handoff toolkit.hwh beside it"):
        check_bitstream(bit, "xc7z020clg400-1")
    with pytest.raises(OverlayError, match="ends inside field|field 'b' missing"):
        read_header(data[:20], "short.bit")
