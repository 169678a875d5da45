"""Check that a file is a Xilinx bitstream for the board's part, with its ``.hwh`` beside it.

A ``.bit`` file starts with a header: a 2-byte length 9 and the 9 bytes
``0F F0 0F F0 0F F0 0F F0 00``, a 2-byte 1 and the key ``a``, then fields ``a`` (design
name), ``b`` (part), ``c`` (date), ``d`` (time), each a 2-byte big-endian length and a
NUL-terminated string, and ``e``: a 4-byte length of the configuration data that follows.
The data holds the sync word ``AA 99 55 66``. Sizes: the uncompressed configuration of each
supported device (UG470 / UG570 bitstream lengths, rounded); a compressed bitstream is
smaller, so only an upper bound and a floor are checked.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

from toolkit_overlay.errors import OverlayError

HEADER_START = bytes.fromhex("0009 0ff00ff00ff00ff000 0001".replace(" ", "")) + b"a"
SYNC_WORD = bytes.fromhex("aa995566")
#: approximate uncompressed configuration bytes per device (the core of the part name)
DEVICE_BYTES = {"7z020": 4_045_564, "zu3eg": 5_568_668, "k26": 7_797_880, "zu7ev": 19_311_208}
MIN_BYTES = 64 * 1024  # no complete configuration of these devices is smaller, even compressed
SLACK = 1.10


def device_of(part: str) -> str:
    """The device core of a part name: xc7z020clg400-1 -> 7z020, xczu7ev-ffvc1156-2-e -> zu7ev."""
    m = re.match(r"^(?:xc)?(7z\d{3}|zu\d+[a-z]{2}|k\d+)", part.lower())
    if not m:
        raise OverlayError(
            f"part {part!r}: expected a Zynq part such as xc7z020clg400-1 or xczu7ev-ffvc1156-2-e"
        )
    return m.group(1)


def read_header(data: bytes, name: str) -> dict[str, Any]:
    """The header fields (design, part, date, time, data_bytes) of a .bit file's bytes; OverlayError if none."""
    if not data.startswith(HEADER_START):
        raise OverlayError(
            f"{name} is not a Xilinx bitstream: it does not start with the .bit header (00 09 0F F0 ... 'a')"
        )
    pos, fields = len(HEADER_START), {}
    for key in "abcd":
        if key != "a":
            if data[pos : pos + 1] != key.encode():
                raise OverlayError(f"{name}: bitstream header field {key!r} missing at byte {pos}")
            pos += 1
        if pos + 2 > len(data):
            raise OverlayError(f"{name}: bitstream header ends inside field {key!r}")
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        fields[key] = data[pos + 2 : pos + 2 + length].rstrip(b"\0").decode("ascii", "replace")
        pos += 2 + length
    if data[pos : pos + 1] != b"e" or pos + 5 > len(data):
        raise OverlayError(f"{name}: bitstream header has no data length field 'e' at byte {pos}")
    (size,) = struct.unpack(">I", data[pos + 1 : pos + 5])
    return {"design": fields["a"], "part": fields["b"], "date": fields["c"], "time": fields["d"],
            "data_bytes": size, "data_offset": pos + 5}  # fmt: skip


def check_bitstream(bit: Path | str, part: str) -> dict[str, Any]:
    """Refuse anything but a bitstream for ``part`` with its ``.hwh`` beside it; the header fields."""
    bit = Path(bit)
    if not bit.is_file():
        raise OverlayError(f"bitstream {bit} does not exist")
    hwh = bit.with_suffix(".hwh")
    if not hwh.is_file():
        raise OverlayError(
            f"bitstream {bit.name} has no hardware handoff {hwh.name} beside it (PYNQ needs both)"
        )
    data = bit.read_bytes()
    header = read_header(data, str(bit))
    body = data[header["data_offset"] :]
    if header["data_bytes"] != len(body):
        raise OverlayError(
            f"{bit}: the header announces {header['data_bytes']} bytes of configuration data, the file holds "
            f"{len(body)} (truncated or padded)"
        )
    if SYNC_WORD not in body[:4096]:
        raise OverlayError(f"{bit}: no sync word AA995566 near the start of the configuration data")
    device = device_of(part)
    if device_of(header["part"]) != device:
        raise OverlayError(f"{bit} was built for part {header['part']!r}, not {part!r} ({device})")
    limit = DEVICE_BYTES.get(device)
    if limit is None:
        raise OverlayError(
            f"no bitstream size is known for device {device}: expected one of {', '.join(DEVICE_BYTES)}"
        )
    if not MIN_BYTES <= len(body) <= SLACK * limit:
        raise OverlayError(
            f"{bit}: {len(body)} bytes of configuration data is implausible for {device} (expected "
            f"{MIN_BYTES} to {int(SLACK * limit)}; uncompressed about {limit})"
        )
    return {k: v for k, v in header.items() if k != "data_offset"} | {"hwh": hwh.name}


def write_synthetic_bitstream(path: Path | str, part: str, data_bytes: int = 2 * MIN_BYTES) -> Path:
    """A well-formed .bit of ``data_bytes`` configuration bytes for ``part`` (no real design: for
    stand-in tools and tests, which must pass :func:`check_bitstream` without Vivado)."""
    part_field = (
        part[2:] if part.lower().startswith("xc7z") else part
    )  # 7-series headers drop "xc" and the grade
    if part.lower().startswith("xc7z"):
        part_field = part_field.split("-")[0]

    def field(key: bytes, text: str) -> bytes:
        raw = text.encode("ascii") + b"\0"
        return key + struct.pack(">H", len(raw)) + raw

    body = b"\xff" * 32 + bytes.fromhex("000000bb11220044ffffffff") + SYNC_WORD
    body += b"\0" * (data_bytes - len(body))
    head = HEADER_START[:-1] + field(b"a", "toolkit;UserID=0XFFFFFFFF;Version=synthetic")
    head += field(b"b", part_field) + field(b"c", "2024/01/01") + field(b"d", "00:00:00")
    Path(path).write_bytes(head + b"e" + struct.pack(">I", len(body)) + body)
    return Path(path)
