"""Board data files: every board loads with the facts DESIGN.md names; bad files name the key."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from toolkit.boards import BOARDS_DIR, list_boards, load_board
from toolkit.cli.main import cli
from toolkit.errors import ToolkitError

EXPECTED = {
    "pynq-z2": ("xc7z020clg400-1", "tul.com.tw:pynq-z2:part0:1.0", "processing_system7", "S_AXI_HP0", 0x40000000, 64),
    "zcu104": ("xczu7ev-ffvc1156-2-e", "xilinx.com:zcu104:part0:1.1", "zynq_ultra_ps_e", "S_AXI_HP0_FPD", 0xA0000000, 128),
    "ultra96v2": ("xczu3eg-sbva484-1-i", "avnet.com:ultra96v2:part0:1.2", "zynq_ultra_ps_e", "S_AXI_HP0_FPD", 0xA0000000, 128),
    "kv260": ("xck26-sfvc784-2LV-c", "xilinx.com:kv260_som:part0:1.3", "zynq_ultra_ps_e", "S_AXI_HP0_FPD", 0xA0000000, 128),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_board_files_hold_the_documented_facts(name: str) -> None:
    board = load_board(name)
    part, board_part, ps_ip, hp_port, base, dma = EXPECTED[name]
    assert (board.part, board.board_part, board.ps_ip, board.hp_port) == (part, board_part, ps_ip, hp_port)
    assert (board.address_base, board.dma_data_bits) == (base, dma)
    assert board.family == ("zynq-7000" if name == "pynq-z2" else "zynq-us+")
    assert board.sensing == ("pmbus" if name in ("zcu104", "ultra96v2") else "external")
    assert board.static_w > 0 and board.clock_mhz > 0 and min(board.resources.values()) > 0


def test_list_and_cli() -> None:
    assert list_boards() == sorted(EXPECTED)
    result = CliRunner().invoke(cli, ["boards", "--json"])
    assert result.exit_code == 0, result.output
    assert [b["name"] for b in json.loads(result.output)] == sorted(EXPECTED)
    table = CliRunner().invoke(cli, ["boards"])
    assert table.exit_code == 0 and "xc7z020clg400-1" in table.output


def test_unknown_board_lists_the_known_ones() -> None:
    with pytest.raises(ToolkitError, match=r"board 'zedboard' is unknown: expected one of kv260, pynq-z2"):
        load_board("zedboard")


def test_a_new_board_is_one_file(tmp_path) -> None:
    shutil.copy(BOARDS_DIR / "pynq-z2.toml", tmp_path / "zedboard.toml")
    text = (tmp_path / "zedboard.toml").read_text().replace('name = "pynq-z2"', 'name = "zedboard"')
    (tmp_path / "zedboard.toml").write_text(text)
    assert load_board("zedboard", tmp_path).part == "xc7z020clg400-1"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("part = ", "partx = "), "lacks part"),
        (
            ('family = "zynq-7000"', 'family = "versal"'),
            "family 'versal': expected one of zynq-7000, zynq-us\\+",
        ),
        (("dma_data_bits = 64", "dma_data_bits = 48"), "dma_data_bits = 48: expected 32, 64, 128 or 256"),
        (('sensing = "external"', 'sensing = "pmbus"'), "PMBus sensing needs"),
        (("clock_mhz = 100.0", 'clock_mhz = "fast"'), "clock_mhz = 'fast' has the wrong type"),
    ],
)
def test_bad_board_files_name_the_key(tmp_path, edit: tuple[str, str], message: str) -> None:
    text = (BOARDS_DIR / "pynq-z2.toml").read_text()
    assert edit[0] in text
    (tmp_path / "pynq-z2.toml").write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ToolkitError, match=message):
        load_board("pynq-z2", tmp_path)
