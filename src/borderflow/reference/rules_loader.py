"""Read a selectivity rules file (TOML): the shipped default or an operator's own."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from borderflow.domain.selectivity import RuleSet, RulesError


def load_rules(path: str | Path | None = None) -> RuleSet:
    if path is None:
        text = resources.files("borderflow.reference.rules").joinpath("default.toml").read_text("utf-8")
        source = "default.toml"
    else:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise RulesError(f"{source}: cannot read the rules file ({exc.strerror})") from None
    try:
        return RuleSet.from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from None
    except RulesError as exc:
        raise RulesError(f"{source}: {exc}") from None
