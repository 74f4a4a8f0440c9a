"""Envelope signatures: made and checked with libsodium, the same bytes OpenSSL makes and checks.

A partner (or an auditor's script) may check them with any Ed25519 library, and receipts signed
before the node used libsodium must still verify.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.exchange import envelope as env

KEY = env.SigningKey("CN-BORDER-20261204T000000", Ed25519PrivateKey.generate())
OTHER = env.SigningKey("CN-BORDER-20261205T000000", Ed25519PrivateKey.generate())
PUBLIC = {KEY.key_id: KEY.public_b64(), OTHER.key_id: OTHER.public_b64()}

documents = st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in ("signature", "key_id")),
                            st.one_of(st.integers(-2**53 + 1, 2**53 - 1), st.text(max_size=40), st.booleans(),
                                      st.none()), max_size=6)


@given(documents)
@settings(max_examples=60)
def test_a_signature_is_the_one_openssl_makes_and_openssl_accepts_it(document):  # noqa: ANN001
    signed = KEY.sign(document)
    assert env.unb64(signed["signature"]) == KEY.private.sign(env.canonical(signed))
    KEY.private.public_key().verify(env.unb64(signed["signature"]), env.canonical(signed))
    assert env.verify(signed, PUBLIC) == env.canonical(signed)


@given(documents, st.text(min_size=1, max_size=12))
@settings(max_examples=60)
def test_a_changed_document_or_another_keys_signature_is_rejected(document, extra):  # noqa: ANN001
    signed = KEY.sign(document)
    changed = {**signed, "added": extra}
    with pytest.raises(env.SignatureRejected):
        env.verify(changed, PUBLIC)
    with pytest.raises(env.SignatureRejected):  # the other key's signature under this key's id
        env.verify({**signed, "signature": OTHER.sign(document)["signature"]}, PUBLIC)


def test_a_signature_made_by_openssl_is_accepted():
    document = {"receipt_for": "m-1", "status": "applied", "key_id": KEY.key_id}
    old = {**document, "signature": env.b64(KEY.private.sign(env.canonical(document)))}
    assert env.verify(old, PUBLIC) == env.canonical(document)


@pytest.mark.parametrize("signature", ["", "AAAA", "!!", "A" * 86, env.b64(b"\0" * 64)])
def test_a_malformed_signature_is_rejected_not_raised(signature):  # noqa: ANN001
    with pytest.raises(env.SignatureRejected, match="does not match"):
        env.verify({"a": 1, "key_id": KEY.key_id, "signature": signature}, PUBLIC)


def test_a_malformed_public_key_rejects_the_message():
    signed = KEY.sign({"a": 1})
    with pytest.raises(env.SignatureRejected):
        env.verify(signed, {KEY.key_id: "not-a-key"})
