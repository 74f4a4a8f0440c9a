"""Read a selectivity rules file (TOML): the shipped default or an operator's own."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from borderflow.domain.selectivity import RuleSet, RulesError
from borderflow.domain.signoffs import SignoffRules, SignoffRulesError


def load_rules(path: str | Path | None = None) -> RuleSet:
    return load_rule_files(path)[0]


def load_rule_files(path: str | Path | None = None) -> tuple[RuleSet, SignoffRules]:
    """The selectivity rules and the sign-off rules of one rules file. A file without
    [[signoffs]] tables gets the shipped ones: replacing the risk rules never drops an agency."""
    data, source = _read(path)
    try:
        selectivity = RuleSet.from_dict(data)
        if "signoffs" in data:
            signoffs = SignoffRules.from_list(data["signoffs"])
        else:
            signoffs = SignoffRules.from_list(_read(None)[0]["signoffs"])
    except (RulesError, SignoffRulesError) as exc:
        raise RulesError(f"{source}: {exc}") from None
    return selectivity, signoffs


def _read(path: str | Path | None) -> tuple[dict, str]:
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
        return tomllib.loads(text), source
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from None
