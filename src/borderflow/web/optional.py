"""Panels fed by a use case that may refuse the viewer (a role without the permission):
the panel then shows a neutral "not available" instead of breaking the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _Unavailable:
    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Any = _Unavailable()


def read(ctx, use_case: Callable[..., Any], *args: Any) -> Any:  # noqa: ANN001
    """`use_case(ctx, uow, *args)` in a read transaction."""
    with ctx.uow(write=False) as uow:
        return use_case(ctx, uow, *args)
