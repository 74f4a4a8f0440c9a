"""Every code the node says: the domain's registry and the message tables adapters keep
beside it (a module-level `TEXTS` dict of code -> English template), registered into it."""

from __future__ import annotations

import importlib

from borderflow.domain import messages

# Adapters that keep their own message table (code -> English template).
TABLES = ("borderflow.devices.messages", "borderflow.exchange.wording")


def all_codes() -> dict[str, str]:
    for name in TABLES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - an optional adapter that is not installed
            continue
        for code, text in getattr(module, "TEXTS", {}).items():
            if not messages.known(code):
                messages.define(code, text)
    return messages.codes()
