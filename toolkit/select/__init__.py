"""FAMES selection: profile operands, score (layer, design) pairs, pick by ILP under an accuracy budget.

This package is also the API function: ``toolkit.select(model, data, budget=...)`` calls
:func:`toolkit.api.select` (the package's module object is callable; its submodules are unchanged).
"""

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from toolkit.api import select

        return select(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
