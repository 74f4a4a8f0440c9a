"""The node's web screens (officer console, declarant portal, driver page, public board).

`mount` adds them to the node's HTTP application; it is the UI adapter's one entry point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from borderflow.services.context import NodeContext


def mount(app: FastAPI, ctx: NodeContext) -> None:
    """Add the web screens to `app`; nothing yet."""
