"""Makes ``import tensorflow`` and ``import toolkit`` fail (and records the attempt): the board
runtime must run where neither exists."""

import os
import sys

BLOCKED = ("tensorflow", "toolkit", "keras", "qkeras", "hls4ml")


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            log = os.environ.get("TOOLKIT_BLOCK_LOG")
            if log:
                with open(log, "a") as fh:
                    fh.write(name + "\n")
            raise ImportError(f"{name} is blocked: the board runtime must not import it")
        return None


sys.meta_path.insert(0, _Blocker())
