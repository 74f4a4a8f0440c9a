"""What the exchange says to an operator: why a delivery failed, why the partner held or refused a message.

Each is a stable code with parameters (`say`), stored as its English text where the exchange
keeps text (an outbox row's and a partner link's `last_error`, an inbox row's or a rejection's
`reason`, a receipt's `reason`), and recognised from that text when a screen or an answer puts
it into the reader's language. A receipt is signed as sent, so the partner's reasons travel as
English text and are rendered on this side by the same catalogue. What the exception itself
says (`error`, `body`) is the library's or the partner's, passed on as written.
"""

from __future__ import annotations

from borderflow.domain.messages import define_all, say

TEXTS: dict[str, str] = {
    # the sending side: a partner link's last error (`exchange status`, the supervisor's console)
    "exchange.loop_failed": "the delivery loop failed: {error}",
    "exchange.no_api_key": "no API key for {partner}: set api_key_file in the node file",
    "exchange.no_signing_key": "this node has no signing key in {path}; create one with `borderflow keys generate`",
    "exchange.unreachable": "{url} unreachable: {error}",
    "exchange.answered": "{url} answered {status}: {body}",
    "exchange.bad_receipts": "bad receipts from {partner}: {error}",
    "exchange.too_large": "message {message_id} alone is {size:n} bytes, over {partner}'s body limit: it waits "
                          "until that node's operator raises max_body_bytes; the messages behind it go on",
    # the receiving side: a receipt's reason, an inbox row's, a rejection's
    "exchange.id_reused": "message id already used for a different message",
    "exchange.already_received": "already received ({state})",
    "exchange.received_concurrently": "received concurrently",
    "exchange.seq_used": "stream {stream!r} is already at {last}; sequence number {seq} was used by another message",
    "exchange.held": "waiting for sequence number {next} of stream {stream!r}",
    "exchange.not_object": "a message must be a JSON object (a signed envelope)",
    "exchange.not_canonical": "the envelope holds a value canonical JSON (RFC 8785) cannot encode, so no "
                              "signature can cover it: {error}",
    "exchange.nul": "the envelope holds a NUL character (\\x00), which this node cannot store",
    "exchange.field": "envelope field {name!r} is missing or not a {kind}",
    "exchange.out_of_range": "message_id (≤ 36), stream (≤ 64) or seq (1…2³¹-1) out of range",
    "exchange.unknown_sender": "unknown sender {sender!r}; this node's partners: {partners}",
    "exchange.wrong_sender": "the API key belongs to {principal!r}, but the message claims sender {sender!r}",
    "exchange.wrong_recipient": "addressed to {recipient!r}; this node is {node!r}",
    "exchange.signature": "signature rejected: {error}",
    "exchange.sent_at_format": "sent_at is not an ISO 8601 time",
    "exchange.sent_at_offset": "sent_at has no UTC offset",
    "exchange.too_old": "sent at {sent_at}, older than the replay window ({window:n} s); ask the sender to replay it "
                        "afresh",
    "exchange.in_future": "sent at {sent_at}, in the future; check the sender's clock",
}
define_all(TEXTS)

__all__ = ["TEXTS", "say"]  # `say` from here: the codes above are defined once this module is imported
