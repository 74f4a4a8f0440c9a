"""The shipped reference region and operators' node files, read into domain objects.

An adapter: it reads TOML. Every value is checked here, once, so the core can trust
a `Gate` and a `Node`; a bad file stops the node before it serves anything, with a
message naming the file, the key path and what was expected, because the person
reading it is an operator editing their own copy of a node file.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from dataclasses import dataclass
from datetime import time
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from borderflow.domain.gates import Gate, Lane, Node
from borderflow.reference import codes
from borderflow.reference.toml_reader import FileError, TomlReader, child

SHIPPED_NODES = ("vn", "cn")
DEFAULT_PORT = 8000
DEFAULT_RULES = "default"
DEFAULT_MAX_BODY_BYTES = 262_144

_GATE_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")
_LANE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_NODE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNLOCODE = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_GATE_KEYS = ("country", "names", "province", "partner_gate", "timezone", "goods_hours", "lanes",
              "yard_capacity", "daily_capacity")
_GATE_OPTIONAL = ("unlocode", "inspection_bays", "plate_prefixes", "enforce_call_forward")


class NodeFileError(FileError):
    """A gates or node file is unusable; says which file, which key and what is expected."""


@dataclass(frozen=True, slots=True)
class NodeFile:
    """A loaded node file: the node itself plus the settings the file chose for it."""

    node: Node
    port: int
    rules: str  # "default" (shipped rules) or a rules file path
    max_body_bytes: int
    source: str  # "vn.toml", "cn.toml" or the operator file's path


def load_gates() -> dict[str, Gate]:
    """All ten gates of the reference region, by code (a fresh dict over cached gates)."""
    return dict(_shipped_gates())


def load_node(spec: str = "vn") -> NodeFile:
    """Load "vn" or "cn" (the shipped nodes) or the path of an operator's node file."""
    if spec in SHIPPED_NODES:
        return _shipped_node(spec)
    path = Path(spec).expanduser()
    if not path.is_file():
        raise NodeFileError(spec, "", "no such file; expected 'vn', 'cn' or the path of a node TOML file")
    return _node_file(_Reader(str(path)), _read(str(path), path.read_bytes()), base_dir=path.parent)


# ------------------------------------------------------------------ file reading


def _read(source: str, raw: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NodeFileError(source, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise NodeFileError(source, "", f"not valid TOML: {exc}") from None


def _resource(*parts: str) -> bytes:
    return files("borderflow.reference").joinpath(*parts).read_bytes()


@functools.cache
def _shipped_raw() -> dict[str, Any]:
    return _read("gates.toml", _resource("gates.toml"))


@functools.cache
def _shipped_gates() -> dict[str, Gate]:
    reader = _Reader("gates.toml")
    data = _shipped_raw()
    reader.keys(data, "", required=("gates",))
    gates = _gates(reader, reader.table(data["gates"], "gates"), {})
    _check_pairs(reader, gates, tuple(gates))
    return gates


@functools.cache
def _shipped_node(name: str) -> NodeFile:
    source = f"{name}.toml"
    return _node_file(_Reader(source), _read(source, _resource("nodes", source)), base_dir=None)


# ------------------------------------------------------------------ typed access


class _Reader(TomlReader):
    """Typed access to one gates or node file's values; every failure names the key path."""

    error = NodeFileError

    def hhmm(self, value: Any, key: str) -> time:
        if isinstance(value, time) and value.tzinfo is None:
            return value
        match = _HHMM.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            self.fail(key, f'expected "HH:MM" from 00:00 to 23:59, got {value!r}')
        return time(int(match[1]), int(match[2]))


# ------------------------------------------------------------------ gates


def _gates(r: _Reader, tables: dict, base: dict[str, dict]) -> dict[str, Gate]:
    """Parse [gates.CODE] tables; a code already in `base` takes its keys from there first."""
    gates = {}
    for code, raw in tables.items():
        key = child("gates", code)
        r.text(code, key, _GATE_CODE, "a gate code of capital letters, digits and _ (e.g. KIMTHANH)")
        gates[code] = _gate(r, code, {**base.get(code, {}), **r.table(raw, key)}, key)
    return gates


def _gate(r: _Reader, code: str, t: dict, key: str) -> Gate:
    r.keys(t, key, _GATE_KEYS, _GATE_OPTIONAL)
    k = functools.partial(child, key)
    country = _country(r, t["country"], k("country"))
    unlocode = t.get("unlocode")
    if unlocode is not None:
        r.text(unlocode, k("unlocode"), _UNLOCODE, "a 5-character UN/LOCODE such as VNLCA")
        if unlocode[:2] != country:
            r.fail(k("unlocode"), f"{unlocode!r} is a {unlocode[:2]} code; this gate is in {country}")
    hours = r.array(t["goods_hours"], k("goods_hours"))
    if len(hours) != 2:
        r.fail(k("goods_hours"), f'expected ["HH:MM", "HH:MM"] (opening, closing), got {len(hours)} entries')
    start, end = (r.hhmm(v, f"{k('goods_hours')}[{i}]") for i, v in enumerate(hours))
    if start >= end:
        r.fail(k("goods_hours"), f"opening {start:%H:%M} is not before closing {end:%H:%M} "
                                 "(hours past midnight are not supported)")
    prefixes = r.array(t.get("plate_prefixes", []), k("plate_prefixes"), non_empty=False)
    return Gate(
        code=code, country=country, names=_names(r, t["names"], k("names")),
        province=r.text(t["province"], k("province")), unlocode=unlocode,
        partner_gate=r.text(t["partner_gate"], k("partner_gate"), _GATE_CODE, "a gate code"),
        timezone=_timezone(r, t["timezone"], k("timezone")), goods_hours=(start, end),
        lanes=_lanes(r, t["lanes"], k("lanes")),
        yard_capacity=r.integer(t["yard_capacity"], k("yard_capacity"), 0, 100_000),
        daily_capacity=r.integer(t["daily_capacity"], k("daily_capacity"), 1, 100_000),
        inspection_bays=r.integer(t.get("inspection_bays", 2), k("inspection_bays"), 0, 1_000),
        plate_prefixes=tuple(r.text(p, f"{k('plate_prefixes')}[{i}]") for i, p in enumerate(prefixes)),
        enforce_call_forward=r.boolean(t.get("enforce_call_forward", True), k("enforce_call_forward")),
    )


def _country(r: _Reader, value: Any, key: str) -> str:
    if r.text(value, key) not in codes.countries():
        r.fail(key, f"expected an ISO 3166 alpha-2 country code such as VN or CN, got {value!r}")
    return value


def _timezone(r: _Reader, value: Any, key: str) -> str:
    try:
        ZoneInfo(r.text(value, key))
    except (ZoneInfoNotFoundError, ValueError):
        r.fail(key, f"unknown time zone {value!r}; expected an IANA name such as Asia/Ho_Chi_Minh")
    return value


def _names(r: _Reader, value: Any, key: str) -> dict[str, str]:
    names = r.table(value, key)
    if not names:
        r.fail(key, "expected at least one name, e.g. { vi = …, zh = …, en = … }")
    for language, name in names.items():
        r.text(language, child(key, language), _LANGUAGE, "a language code such as vi, zh or en")
        r.text(name, child(key, language))
    return dict(names)


def _lanes(r: _Reader, value: Any, key: str) -> tuple[Lane, ...]:
    lanes: list[Lane] = []
    for i, raw in enumerate(r.array(value, key)):
        at = f"{key}[{i}]"
        t = r.table(raw, at)
        r.keys(t, at, ("code", "direction"), ("kind",))
        code = r.text(t["code"], f"{at}.code", _LANE_CODE, "a lane code such as OUT-1")
        if (j := next((j for j, lane in enumerate(lanes) if lane.code == code), None)) is not None:
            r.fail(f"{at}.code", f"duplicate lane code {code!r} (also {key}[{j}])")
        direction = t["direction"]
        if direction not in ("inbound", "outbound"):
            r.fail(f"{at}.direction", f"expected 'inbound' or 'outbound', got {direction!r}")
        kind = t.get("kind", "goods")
        if kind not in ("goods", "passenger"):
            r.fail(f"{at}.kind", f"expected 'goods' or 'passenger', got {kind!r}")
        lanes.append(Lane(code=code, direction=direction, kind=kind))
    return tuple(lanes)


def _check_pairs(r: _Reader, gates: dict[str, Gate], codes_: tuple[str, ...]) -> None:
    """Each listed gate faces a known gate of another country that faces it back."""
    for code in codes_:
        gate, key = gates[code], f"{child('gates', code)}.partner_gate"
        partner = gates.get(gate.partner_gate)
        if partner is None:
            r.fail(key, f"unknown gate {gate.partner_gate!r}; expected one of {', '.join(sorted(gates))}")
        if partner.country == gate.country:
            r.fail(key, f"{partner.code!r} is in {partner.country} too; a partner gate is across the border")
        if partner.partner_gate != code:
            r.fail(key, f"{partner.code!r} is paired with {partner.partner_gate!r}, not {code!r}; "
                        f"set partner_gate = {code!r} in [gates.{partner.code}]")


# ------------------------------------------------------------------ node files


def _node_file(r: _Reader, data: dict, base_dir: Path | None) -> NodeFile:
    r.keys(data, "", ("node",), ("settings", "partners", "gates"))
    t = r.table(data["node"], "node")
    r.keys(t, "node", ("id", "name", "country", "gates"), ("names",))
    node_id = r.text(t["id"], "node.id", _NODE_ID, "a node id of letters, digits, '.', '_' or '-'")
    country = _country(r, t["country"], "node.country")
    shipped = _shipped_gates()  # checked first, so its own errors name gates.toml
    inline = _gates(r, r.table(data.get("gates", {}), "gates"), _shipped_raw()["gates"])
    known = {**shipped, **inline}
    operated: dict[str, Gate] = {}
    for i, code in enumerate(r.array(t["gates"], "node.gates")):
        at = f"node.gates[{i}]"
        if r.text(code, at) not in known:
            near = difflib.get_close_matches(code, known, n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            r.fail(at, f"unknown gate {code!r}; expected one of {', '.join(sorted(known))}{hint}")
        if code in operated:
            r.fail(at, f"gate {code!r} is listed twice")
        if known[code].country != country:
            r.fail(at, f"gate {code!r} is in {known[code].country}; this node speaks for {country}")
        operated[code] = known[code]
    _check_pairs(r, known, tuple(dict.fromkeys([*inline, *operated])))
    node = Node(id=node_id, country=country, name=r.text(t["name"], "node.name"), gates=operated,
                partners=_partners(r, data.get("partners", {}), node_id, base_dir),
                names=_names(r, t["names"], "node.names") if "names" in t else {})
    s = r.table(data.get("settings", {}), "settings")
    r.keys(s, "settings", (), ("port", "rules", "max_body_bytes"))
    rules = r.text(s.get("rules", DEFAULT_RULES), "settings.rules")
    if base_dir is not None and rules != DEFAULT_RULES:
        rules = str(base_dir / Path(rules).expanduser())  # relative to the node file; absolute stays
    return NodeFile(
        node=node, port=r.integer(s.get("port", DEFAULT_PORT), "settings.port", 1, 65_535), rules=rules,
        max_body_bytes=r.integer(s.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES), "settings.max_body_bytes",
                                 1024, 64 * 1024 * 1024),
        source=r.source,
    )


def _partners(r: _Reader, value: Any, node_id: str, base_dir: Path | None) -> dict[str, dict]:
    partners = {}
    for partner_id, raw in r.table(value, "partners").items():
        key = child("partners", partner_id)
        r.text(partner_id, key, _NODE_ID, "a node id of letters, digits, '.', '_' or '-'")
        if partner_id == node_id:
            r.fail(key, "a node cannot be its own partner")
        t = r.table(raw, key)
        r.keys(t, key, ("url",), ("public_keys", "api_key_file", "message_version"))
        url = r.text(t["url"], f"{key}.url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            r.fail(f"{key}.url", f"expected an http(s) URL such as http://127.0.0.1:8002, got {url!r}")
        keys = r.table(t.get("public_keys", {}), f"{key}.public_keys")
        for key_id, public_key in keys.items():
            r.text(public_key, child(f"{key}.public_keys", key_id))
        key_file = t.get("api_key_file")
        if key_file is not None:
            key_file = Path(r.text(key_file, f"{key}.api_key_file")).expanduser()
            key_file = str(base_dir / key_file if base_dir is not None else key_file)
        version = t.get("message_version")  # a partner still on an older release: send it what it reads
        if version is not None:
            version = r.integer(version, f"{key}.message_version", 1, 2)
        partners[partner_id] = {"url": url.rstrip("/"), "public_keys": dict(keys), "api_key_file": key_file,
                                "message_version": version}
    return partners
