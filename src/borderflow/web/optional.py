"""Use cases that another part of the node provides (slots, yard, wait times).

The screens call them in-process when they exist; where a node runs without them the
panel shows a neutral "not available" instead of failing. Only a missing module or
function counts as absent: any other error is the use case's own and propagates.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("borderflow.web")


class _Unavailable:
    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Any = _Unavailable()


def use_case(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = importlib.import_module(f"borderflow.services.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"borderflow.services.{module}":
            raise
        return None
    return getattr(found, name, None)


def read(ctx, module: str, name: str, *args: Any) -> Any:  # noqa: ANN001
    """`services.<module>.<name>(ctx, uow, *args)` in a read transaction, or UNAVAILABLE."""
    function = use_case(module, name)
    if function is None:
        return UNAVAILABLE
    with ctx.uow(write=False) as uow:
        return function(ctx, uow, *args)


def answer_of(result: Any) -> Any:
    """Use cases answer either `(status, view)` or the view alone."""
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int):
        return result[1]
    return result
