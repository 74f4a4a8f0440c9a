"""The `borderflow` command as an operator uses it."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.processes import cli, node_env

pytestmark = pytest.mark.slow


def test_apikey_create_prints_the_key_alone(tmp_path):
    env = node_env(tmp_path)
    result = cli(env, "apikey", "create", "--role", "customs", "--name", "Officer An")
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bf_") and len(lines[0]) > 40
    stored = sqlite3.connect(tmp_path / "borderflow.sqlite").execute("select key_hash, role from api_keys").fetchall()
    assert stored[0][1] == "customs" and lines[0] not in stored[0][0]  # hashed, never the key itself


def test_declarant_key_needs_a_tax_id(tmp_path):
    result = cli(node_env(tmp_path), "apikey", "create", "--role", "declarant", check=False)
    assert result.returncode == 2 and "--declarant" in result.stderr and result.stdout == ""


def test_unknown_role_is_refused_with_the_roles(tmp_path):
    result = cli(node_env(tmp_path), "apikey", "create", "--role", "admin", check=False)
    assert result.returncode == 2 and "supervisor" in result.stderr


def test_db_upgrade_is_repeatable(tmp_path):
    env = node_env(tmp_path)
    cli(env, "db", "upgrade")
    cli(env, "db", "upgrade")
    tables = {row[0] for row in sqlite3.connect(tmp_path / "borderflow.sqlite")
              .execute("select name from sqlite_master where type='table'")}
    assert {"crossings", "audit_log", "outbox", "alembic_version"} <= tables


def test_audit_verify_finds_tampering(tmp_path):
    env = node_env(tmp_path)
    cli(env, "apikey", "create", "--role", "customs")
    cli(env, "apikey", "create", "--role", "device")
    assert "intact: 2 entries" in cli(env, "audit", "verify").stderr
    with sqlite3.connect(tmp_path / "borderflow.sqlite") as db:
        db.execute("update audit_log set actor = 'someone else' where seq = 1")
    result = cli(env, "audit", "verify", check=False)
    assert result.returncode == 1 and "entry 1" in result.stderr


def test_bad_setting_names_the_variable(tmp_path):
    result = cli(node_env(tmp_path, BORDERFLOW_DB_URL="mysql://nope"), "db", "upgrade", check=False)
    assert result.returncode == 2 and "BORDERFLOW_DB_URL" in result.stderr


def test_bad_node_file_names_the_key(tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text('[node]\nid = "X"\nname = "x"\ncountry = "VN"\ngates = ["KIMTAHN"]\n')
    result = cli(node_env(tmp_path), "apikey", "create", "--role", "customs", "--node", str(bad), check=False)
    assert result.returncode == 2 and "node.gates[0]" in result.stderr


def test_help_explains_every_command(tmp_path):
    out = cli(node_env(tmp_path), "--help").stdout
    for command in ("serve", "apikey", "db", "audit"):
        assert command in out
