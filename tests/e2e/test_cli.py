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
    cli(env, "audit", "sequence")  # what the node's background loop does every few seconds
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


def test_apikey_list_shows_every_key_but_never_the_key(tmp_path):
    env = node_env(tmp_path)
    customs = cli(env, "apikey", "create", "--role", "customs", "--name", "Officer An").stdout.strip()
    device = cli(env, "apikey", "create", "--role", "device", "--name", "Lane cameras", "--expires-days", "30").stdout.strip()
    listing = cli(env, "apikey", "list").stdout
    lines = listing.splitlines()
    assert lines[0].split("\t") == ["prefix", "role", "name", "declarant", "created", "expires", "revoked"]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert rows[customs[:10]][1:3] == ["customs", "Officer An"] and rows[customs[:10]][5:] == ["-", "-"]
    assert rows[device[:10]][1:3] == ["device", "Lane cameras"] and rows[device[:10]][5] != "-"
    assert customs not in listing and device not in listing


def test_apikey_revoke_by_prefix_is_audited_and_shown(tmp_path):
    env = node_env(tmp_path)
    key = cli(env, "apikey", "create", "--role", "customs", "--name", "Officer leaving").stdout.strip()
    done = cli(env, "apikey", "revoke", key[:10])
    assert "revoked" in done.stderr and key not in done.stderr + done.stdout
    row = next(line.split("\t") for line in cli(env, "apikey", "list").stdout.splitlines() if line.startswith(key[:10]))
    assert row[6] != "-"
    with sqlite3.connect(tmp_path / "borderflow.sqlite") as db:
        revoked, actions = (db.execute("select revoked_at from api_keys").fetchone()[0],
                            [r[0] for r in db.execute("select action from audit_log order by id")])
    assert revoked is not None and actions == ["apikey.create", "apikey.revoke"]
    assert "intact" in cli(env, "audit", "verify").stderr


def test_apikey_revoke_refuses_unknown_and_too_short_prefixes(tmp_path):
    env = node_env(tmp_path)
    cli(env, "apikey", "create", "--role", "customs")
    unknown = cli(env, "apikey", "revoke", "bf_nothing", check=False)
    assert unknown.returncode == 2 and "no key starts with" in unknown.stderr
    short = cli(env, "apikey", "revoke", "bf_", check=False)
    assert short.returncode == 2 and "6 characters" in short.stderr


def test_apikey_expiry_must_be_positive(tmp_path):
    result = cli(node_env(tmp_path), "apikey", "create", "--role", "customs", "--expires-days", "0", check=False)
    assert result.returncode == 2 and "--expires-days" in result.stderr and result.stdout == ""
