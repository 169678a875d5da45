"""Target boards, one TOML data file each under ``boards/`` (adding a board is adding a file).

A board file names the FPGA part and Vivado board part, the Zynq family with its
processing-system block, HP port and address base, the fabric clock and DMA width,
the resource totals, the PYNQ version it needs and how its power is sensed (PMBus
rails by name, or an external meter). :func:`load_board` checks every field and
names the file and the key when one is missing or wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.resources import boards_dir

BOARDS_DIR = boards_dir()
FAMILIES = ("zynq-7000", "zynq-us+")
SENSING = ("pmbus", "external")


@dataclass(frozen=True)
class Board:
    """Everything the build, the simulation and the measurement need to know about a board."""

    name: str
    description: str
    part: str
    board_part: str
    family: str
    ps_ip: str
    hp_port: str
    address_base: int
    clock_pin: str
    clock_mhz: float
    dma_data_bits: int
    lut: int
    ff: int
    bram36: int
    dsp: int
    pynq_version: str
    sensing: str
    static_w: float  # modelled idle on-chip power (PS + PL static), watts
    pl_rails: tuple[str, ...] = ()
    board_rail: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A plain dict (the overlay package carries it as board.json; the board has no tomllib)."""
        out = asdict(self)
        out["pl_rails"] = list(self.pl_rails)
        return out

    @property
    def resources(self) -> dict[str, int]:
        return {"lut": self.lut, "ff": self.ff, "bram36": self.bram36, "dsp": self.dsp}


def list_boards(boards_dir: Path = BOARDS_DIR) -> list[str]:
    """Names of the boards that have a file (sorted)."""
    return sorted(p.stem for p in Path(boards_dir).glob("*.toml"))


def load_board(name: str, boards_dir: Path = BOARDS_DIR) -> Board:
    """The board called ``name`` (ToolkitError listing the known boards otherwise)."""
    path = Path(boards_dir) / f"{name}.toml"
    if not name or "/" in name or not path.is_file():
        known = ", ".join(list_boards(boards_dir)) or "none"
        raise ToolkitError(
            f"board {name!r} is unknown: expected one of {known} (a new board is one file in {boards_dir})"
        )
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ToolkitError(f"board file '{path}' is not valid TOML ({exc})") from None
    return _parse(raw, path)


def _parse(raw: dict[str, Any], path: Path) -> Board:
    def get(section: str | None, key: str, kind: type | tuple[type, ...]) -> Any:
        table = raw if section is None else raw.get(section, {})
        where = key if section is None else f"[{section}] {key}"
        if key not in table:
            raise ToolkitError(f"board file '{path}' lacks {where}")
        value = table[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ToolkitError(f"board file '{path}': {where} = {value!r} has the wrong type")
        return value

    name = get(None, "name", str)
    if name != path.stem:
        raise ToolkitError(
            f"board file '{path}' names itself {name!r}: expected {path.stem!r} (the file name)"
        )
    family = get(None, "family", str)
    if family not in FAMILIES:
        raise ToolkitError(f"board file '{path}': family {family!r}: expected one of {', '.join(FAMILIES)}")
    sensing = get("power", "sensing", str)
    if sensing not in SENSING:
        raise ToolkitError(f"board file '{path}': sensing {sensing!r}: expected one of {', '.join(SENSING)}")
    rails = tuple(raw.get("power", {}).get("pl_rails", ()))
    if sensing == "pmbus" and not rails:
        raise ToolkitError(f"board file '{path}': PMBus sensing needs [power] pl_rails (rail names)")
    dma = get("fabric", "dma_data_bits", int)
    if dma not in (32, 64, 128, 256):
        raise ToolkitError(f"board file '{path}': dma_data_bits = {dma}: expected 32, 64, 128 or 256")
    return Board(
        name=name,
        description=get(None, "description", str),
        part=get(None, "part", str),
        board_part=get(None, "board_part", str),
        family=family,
        ps_ip=get("ps", "ip", str),
        hp_port=get("ps", "hp_port", str),
        address_base=get("ps", "address_base", int),
        clock_pin=get("ps", "clock_pin", str),
        clock_mhz=float(get("fabric", "clock_mhz", (int, float))),
        dma_data_bits=dma,
        lut=get("fabric", "lut", int),
        ff=get("fabric", "ff", int),
        bram36=get("fabric", "bram36", int),
        dsp=get("fabric", "dsp", int),
        pynq_version=get("pynq", "version", str),
        sensing=sensing,
        static_w=float(get("power", "static_w", (int, float))),
        pl_rails=rails,
        board_rail=raw.get("power", {}).get("board_rail"),
    )
