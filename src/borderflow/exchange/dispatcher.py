"""Sending: deliver the outbox to each partner in order, until a signed receipt says it arrived.

One dispatcher thread per partner. Several worker processes may each run one; a
lease row in the database lets exactly one of them send at a time. It seals the
next batch while IN_FLIGHT deliveries are on their way, so the partner, applying
one, has the next one waiting instead of waiting for it; a stream's messages leave
in sequence order, and one that overtakes the message before it is held by the
partner until that one comes. Envelopes are signed at send time (`sent_at`), so a
message that waited out a long outage is still inside the partner's replay
window. A partner that does not answer is retried with exponential backoff and
full jitter, capped; a receipt that is not validly signed by the partner counts
as no answer at all. The receipts of a batch are written by a second thread while the
next batch is signed and sent (at most SETTLES_IN_FLIGHT batches wait to be written, and
their rows are not sent again meanwhile); a crash before they are written only means
those messages go again and the partner answers "duplicate".

Time: every instant written or compared here (`sent_at`, `next_attempt_at`, the lease)
is node time, from `ctx.clock`. On an accelerated clock the loop's real waits are node
intervals divided by the speed, so the backoff cap (BORDERFLOW_EXCHANGE_MAX_BACKOFF_SECONDS)
and a retry's `next_attempt_at` mean the same in node time at any speed. The lease is the
exception on purpose: it guards against a *process* that died or stalls mid-send, and
processes live in real time, so it lasts LEASE of real time (LEASE × speed of node time,
always longer than one send's HTTP timeout), written and judged in node time like the rest.

What an operator greps for (logger `borderflow.exchange`, one JSON line each): `partner.down`
at the first failure after a success (or after start), `partner.up` at the first success after
a failure, `key.rotated` when this node starts signing with another key or the partner's
receipts come signed with another key. Each settled row keeps the `sent_at` and `key_id` of the
send its receipt answers, so the archive (services/archive.py) can rebuild the digest offline.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, bindparam, false, insert, or_, select, update

from borderflow.domain.clock import real_seconds, speed_of
from borderflow.exchange import envelope as env
from borderflow.exchange.config import NoSigningKey, Partner
from borderflow.exchange.messages import LATEST_VERSION, outbox_envelope
from borderflow.exchange.wording import say
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.leases import died_here
from borderflow.store.leases import owner_name as lease_owner

log = logging.getLogger("borderflow.exchange")
LEASE = timedelta(seconds=15)  # real time; see the module's docstring
IDLE_POLL = 1.0  # node seconds between looks at an idle outbox (new messages wake the loop at once)
MIN_REAL_POLL = 0.05  # real seconds: however fast the clock, an idle outbox is not read more often
DELIVERED = frozenset({"applied", "duplicate", "held"})
SETTLES_IN_FLIGHT = 2  # batches whose receipts are in hand but not yet written
IN_FLIGHT = 3  # deliveries to one partner on their way at once (1, 2, 3 and 4 measured: docs/benchmarks.md)
# After a 413 deliveries stay smaller this long (node time), then try twice as large again, up to
# BORDERFLOW_EXCHANGE_BATCH_BYTES: the partner's operator may have raised its limit meanwhile.
REGROW_AFTER = timedelta(minutes=10)


def backoff(failures: int, cap: float, base: float = 0.25) -> float:
    """Seconds to wait after `failures` consecutive failures: full jitter under a capped exponential."""
    return random.uniform(0, min(cap, base * 2 ** min(failures, 30)))


class Dispatcher(threading.Thread):
    def __init__(self, ctx: NodeContext, partner: Partner, *, client: httpx.Client | None = None):
        super().__init__(name=f"exchange-{partner.id}", daemon=True)
        self.ctx, self.partner = ctx, partner
        self.owner = lease_owner()
        self.client = client or httpx.Client(timeout=ctx.exchange.timeout)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.failures = 0
        self.up: bool | None = None  # unknown until the first send
        self.down_since: datetime | None = None
        self.signing_key_id: str | None = None
        self.partner_key_id: str | None = None
        self.held_until: datetime | None = None
        self.lease = LEASE * speed_of(ctx.clock)  # in node time
        self.batch_bytes = ctx.exchange.batch_bytes  # halved while the partner answers 413 (its limit is lower)
        self.shrunk_at: datetime | None = None  # the last 413 or regrowth while below batch_bytes
        # Receipts in hand are written by a thread of their own while the next batch goes out: the write
        # waits for this node's writer (on SQLite, behind the partner's deliveries being applied here).
        self._settles: queue.Queue = queue.Queue(maxsize=SETTLES_IN_FLIGHT)
        self._settling: set[int] = set()  # outbox row ids whose receipts are not written yet: not sent again
        self._settling_lock = threading.Lock()
        self._settler = threading.Thread(target=self._settle_loop, name=f"exchange-{partner.id}-receipts",
                                         daemon=True)
        # Deliveries on their way: each on a sender thread, its rows not read again until it is answered.
        self._senders = ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix=f"exchange-{partner.id}-send")
        self._sending = threading.BoundedSemaphore(IN_FLIGHT)
        self._in_flight: set[int] = set()  # outbox row ids sent and not yet answered (under _settling_lock)
        self._failed = threading.Event()  # a delivery failed since the loop last looked: it backs off
        self._link_lock = threading.Lock()  # `up` and `down_since`, which the sender threads move

    def _real(self, node_seconds: float) -> float:
        return real_seconds(self.ctx.clock, node_seconds)

    # -- loop ------------------------------------------------------------------

    def run(self) -> None:
        self._settler.start()
        try:
            self._loop()
        finally:
            self._senders.shutdown(wait=True)  # deliveries on their way are answered (or time out) first
            self._settles.put(None)  # what was received is written before the lease is let go
            self._settler.join()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                if not self._hold_lease():
                    self.stopping.wait(self._real(self.lease.total_seconds() / 3))
                    continue
                sent = self.deliver_once()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive any one failure
                log.exception("dispatcher for %s failed", self.partner.id)
                self._record_error(say("exchange.loop_failed", error=_detail(exc)))
                sent = -1
            if sent < 0:
                self.failures += 1
                self.stopping.wait(self._real(backoff(self.failures, self.ctx.exchange.max_backoff)))
            elif sent == 0:
                self.wake.wait(max(MIN_REAL_POLL, self._real(IDLE_POLL)))
                self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout=10)
        self._release_lease()

    # -- one round -------------------------------------------------------------

    def deliver_once(self) -> int:
        """Seal one batch and send it on a sender thread; the number of messages sent, or -1 when the
        partner could not be reached (now, or by a delivery since the last call)."""
        if self._failed.is_set():
            self._failed.clear()
            return -1
        ctx, now = self.ctx, self.ctx.clock.now()
        o = t.outbox.c
        with self._settling_lock:  # taken before the read: a row settled since is read as settled
            busy = self._settling | self._in_flight
        with ctx.uow(write=False) as uow:
            rows = uow.conn.execute(select(t.outbox).where(
                o.recipient == self.partner.id, o.state == "pending",
                or_(o.next_attempt_at.is_(None), o.next_attempt_at <= now)).order_by(o.id)
                .limit(ctx.exchange.batch_size + len(busy))).all()
        rows = [row for row in rows if row.id not in busy][:ctx.exchange.batch_size]
        if not rows:
            return 0
        if self.partner.api_key is None:
            self._record_error(say("exchange.no_api_key", partner=self.partner.id), rows)
            return -1
        try:
            key = ctx.exchange.keys.current()
        except NoSigningKey as exc:
            self._record_error(str(exc), rows)
            return -1
        self._note_key("node", self.signing_key_id, key.key_id)
        self.signing_key_id = key.key_id
        self._regrow(now)
        rows, sealed, body = self._fitting(rows, [key.sign(self._envelope(row, now)) for row in rows])
        self._sending.acquire()  # waits while IN_FLIGHT deliveries are on their way
        ids = {row.id for row in rows}
        with self._settling_lock:
            self._in_flight |= ids
        self._senders.submit(self._sent, rows, sealed, body, ids)
        return len(rows)

    def _sent(self, rows: list[Any], sealed: list[dict], body: bytes, ids: set[int]) -> int:
        try:
            answered = self._deliver(rows, sealed, body)
        except Exception as exc:  # noqa: BLE001 - a sender thread must outlive any one failure
            log.exception("delivery to %s failed", self.partner.id)
            self._record_error(say("exchange.loop_failed", error=_detail(exc)), rows)
            answered = -1
        finally:
            with self._settling_lock:
                self._in_flight -= ids
            self._sending.release()
        if answered < 0:
            self._failed.set()
        return answered

    def _deliver(self, rows: list[Any], sealed: list[dict], body: bytes) -> int:
        """POST one sealed batch and hand its verified receipts to the settling thread."""
        try:
            response = self.client.post(f"{self.partner.url}/api/v1/exchange/messages", content=body,
                                        headers={"Authorization": f"Bearer {self.partner.api_key}",
                                                 "Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            self._record_error(say("exchange.unreachable", url=self.partner.url, error=_detail(exc)), rows)
            return -1
        if response.status_code == 413:
            return self._too_large(rows, len(body))
        if response.status_code != 200:
            self._record_error(say("exchange.answered", url=self.partner.url, status=response.status_code,
                                   body=response.text[:300]), rows)
            return -1
        try:
            receipts = self._checked_receipts(response.json(), sealed)
        except ValueError as exc:
            self._record_error(say("exchange.bad_receipts", partner=self.partner.id, error=str(exc)[:500]), rows)
            return -1
        with self._settling_lock:
            self._settling.update(row.id for row in rows)
        self._settles.put((rows, receipts, sealed))  # waits while SETTLES_IN_FLIGHT batches are unwritten
        self.failures = 0
        self._reached()
        return len(rows)

    def _fitting(self, rows: list[Any], sealed: list[dict]) -> tuple[list[Any], list[dict], bytes]:
        """The first messages whose delivery fits in `batch_bytes` (always at least one), and its body;
        the rest wait for the next round, unsent and uncounted."""
        parts, size = [], len(b'{"messages":[]}')
        for envelope in sealed:
            part = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
            if parts and size + len(part) + 1 > self.batch_bytes:
                break
            parts.append(part)
            size += len(part) + 1
        n = len(parts)
        return rows[:n], sealed[:n], b'{"messages":[' + b",".join(parts) + b"]}"

    def _too_large(self, rows: list[Any], size: int) -> int:
        """The partner refused the delivery's size: send half as much from now on. One message alone
        too large waits (it cannot pass until the partner's operator raises the limit) and the
        messages behind it go on."""
        if len(rows) > 1:  # not the partner down (no backoff, no partner.down): smaller, at once
            self.batch_bytes = max(1, size // 2)
            self.shrunk_at = self.ctx.clock.now()
            log.warning("exchange with %s: a delivery of %s bytes is over its body limit (413); sending at most "
                        "%s bytes at once from now on", self.partner.id, f"{size:,}", f"{self.batch_bytes:,}")
            return 1
        row = rows[0]
        error = say("exchange.too_large", message_id=row.message_id, size=size, partner=self.partner.id)
        log.error("exchange with %s: %s", self.partner.id, error)
        o = t.outbox.c
        with self.ctx.uow() as uow:
            uow.conn.execute(update(t.outbox).where(o.id == row.id).values(
                attempts=o.attempts + 1, last_error=error,
                next_attempt_at=self.ctx.clock.now() + timedelta(seconds=self.ctx.exchange.max_backoff)))
            self._link(uow, last_error=error, last_error_at=self.ctx.clock.now())
            uow.commit()
        return 1

    def _regrow(self, now: datetime) -> None:
        """Twice as large as the last 413 allowed, once it is REGROW_AFTER old (and so on up to the
        configured size): a limit raised on the partner's side is found without a restart here."""
        full = self.ctx.exchange.batch_bytes
        if self.shrunk_at is None or self.batch_bytes >= full or now - self.shrunk_at < REGROW_AFTER:
            return
        self.batch_bytes = min(full, self.batch_bytes * 2)
        self.shrunk_at = now if self.batch_bytes < full else None
        log.info("exchange with %s: trying deliveries of up to %s bytes again", self.partner.id,
                 f"{self.batch_bytes:,}")

    def _envelope(self, row: Any, now: datetime) -> dict[str, Any]:
        return outbox_envelope(row, sender=self.ctx.node.id, recipient=self.partner.id, sent_at=now.isoformat(),
                               accepted=self.partner.message_version)

    def _checked_receipts(self, body: Any, sealed: list[dict]) -> dict[str, dict]:
        receipts = body.get("receipts") if isinstance(body, dict) else None
        if not isinstance(receipts, list) or len(receipts) != len(sealed):
            raise ValueError(f"expected {len(sealed)} receipts")
        digests = {e["message_id"]: env.digest(e) for e in sealed}
        by_id = {}
        for receipt in receipts:
            if not isinstance(receipt, dict):
                raise ValueError("a receipt is not an object")
            try:
                env.verify(receipt, self.partner.public_keys)
            except env.SignatureRejected as exc:
                raise ValueError(f"receipt signature: {exc}") from None
            message_id = receipt.get("receipt_for")
            if digests.get(message_id) != receipt.get("digest") or receipt.get("receiver") != self.partner.id:
                raise ValueError(f"receipt for {message_id} does not match what was sent")
            by_id[message_id] = receipt
        if receipts:
            key_id = receipts[-1].get("key_id")
            self._note_key("partner", self.partner_key_id, key_id)
            self.partner_key_id = key_id
            self._note_version(receipts[-1].get("accepts"))
        return by_id

    def _note_version(self, accepts: Any) -> None:  # noqa: ANN401 - as the partner signed it
        """The partner reads a newer message version than the node file says (it has been upgraded):
        send it that from now on, up to the newest this node writes. A release that does not say
        keeps what the node file says."""
        if isinstance(accepts, int) and not isinstance(accepts, bool) \
                and self.partner.message_version < min(accepts, LATEST_VERSION):
            version = min(accepts, LATEST_VERSION)
            log.info("exchange with %s: it reads message version %d now; sending version %d (the node file "
                     "says %d)", self.partner.id, accepts, version, self.partner.message_version)
            self.partner = dataclasses.replace(self.partner, message_version=version)

    def _settle_loop(self) -> None:
        while (batch := self._settles.get()) is not None:
            rows = batch[0]
            try:
                self._settle(*batch)
            except Exception:  # noqa: BLE001 - the rows stay pending and are sent again: the partner dedups
                log.exception("exchange with %s: could not store %d receipts", self.partner.id, len(rows))
            finally:
                with self._settling_lock:
                    self._settling.difference_update(row.id for row in rows)

    def _settle(self, rows: list[Any], receipts: dict[str, dict], sealed: list[dict]) -> None:
        now = self.ctx.clock.now()
        settled = []
        for row, envelope in zip(rows, sealed, strict=True):
            receipt = receipts[row.message_id]
            values = dict(row_id=row.id, attempts=row.attempts + 1, receipt=receipt, claimed_at=now,
                          state="pending", delivered_at=None, last_error=receipt.get("reason"),
                          next_attempt_at=row.next_attempt_at, sent_at=envelope["sent_at"],
                          sent_key_id=envelope["key_id"])
            if receipt["status"] in DELIVERED:
                values.update(state="delivered", delivered_at=now, last_error=None)
            elif receipt.get("retry"):
                values.update(next_attempt_at=now + timedelta(
                    seconds=backoff(row.attempts + 1, self.ctx.exchange.max_backoff) + 1))
            else:
                values.update(state="rejected")
                log.error("%s refused message %s for good: %s", self.partner.id, row.message_id,
                          receipt.get("reason"))
            settled.append(values)
        with self.ctx.uow() as uow:
            uow.conn.execute(_SETTLE, settled)
            self._link(uow, last_contact_at=now, last_error=None)
            uow.commit()

    # -- bookkeeping -------------------------------------------------------------

    def _record_error(self, error: str, rows: list[Any] = ()) -> None:
        log.warning("exchange with %s: %s", self.partner.id, error)
        now = self.ctx.clock.now()
        with self._link_lock:  # two deliveries may fail at once: the partner went down once
            went_down, self.up = self.up is not False, False
            if went_down:
                self.down_since = now
        if went_down:
            _event(logging.ERROR, "partner.down", partner=self.partner.id, url=self.partner.url, error=error[:500],
                   since=now.isoformat())
        with self.ctx.uow() as uow:
            if rows:
                o = t.outbox.c
                uow.conn.execute(update(t.outbox).where(o.id.in_([r.id for r in rows]))
                                 .values(attempts=o.attempts + 1, last_error=error[:1000]))
            self._link(uow, last_error=error[:1000], last_error_at=now)
            uow.commit()

    def _reached(self) -> None:
        with self._link_lock:
            came_back, since = self.up is False, self.down_since
            self.up, self.down_since = True, None
        if came_back:
            now = self.ctx.clock.now()
            _event(logging.INFO, "partner.up", partner=self.partner.id, url=self.partner.url,
                   down_seconds=round((now - since).total_seconds(), 3) if since else None)

    def _note_key(self, side: str, before: str | None, now_: str | None) -> None:
        if before is not None and now_ != before:
            _event(logging.WARNING, "key.rotated", side=side, node=self.ctx.node.id, partner=self.partner.id,
                   key_id=now_, previous=before)

    def _link(self, uow: Any, **values: Any) -> None:
        p = t.partner_links.c
        if uow.conn.execute(update(t.partner_links).where(p.partner == self.partner.id).values(**values)).rowcount == 0:
            uow.conn.execute(insert(t.partner_links).values(partner=self.partner.id, **values))

    def _hold_lease(self) -> bool:
        """Take or renew the lease; renewed only once a third of it has run, not on every round."""
        now = self.ctx.clock.now()
        if self.held_until is not None and now < self.held_until - self.lease * 2 / 3:
            return True
        p = t.partner_links.c
        with self.ctx.uow() as uow:
            holder = uow.conn.execute(select(p.lease_owner).where(p.partner == self.partner.id)).scalar()
            dead = holder is not None and holder != self.owner and died_here(holder)
            taken = uow.conn.execute(update(t.partner_links).where(
                p.partner == self.partner.id,
                or_(p.lease_owner.is_(None), p.lease_owner == self.owner,
                    (p.lease_owner == holder) if dead else false(),
                    and_(p.lease_until.is_not(None), p.lease_until < now)))
                .values(lease_owner=self.owner, lease_until=now + self.lease)).rowcount
            if not taken and uow.conn.execute(select(p.partner).where(p.partner == self.partner.id)).first() is None:
                uow.conn.execute(insert(t.partner_links).values(partner=self.partner.id, lease_owner=self.owner,
                                                                lease_until=now + self.lease))
                taken = 1
            uow.commit()
        self.held_until = now + self.lease if taken else None
        return bool(taken)

    def _release_lease(self) -> None:
        p = t.partner_links.c
        with self.ctx.uow() as uow:
            uow.conn.execute(update(t.partner_links).where(p.partner == self.partner.id, p.lease_owner == self.owner)
                             .values(lease_owner=None, lease_until=None))
            uow.commit()


_SETTLE = update(t.outbox).where(t.outbox.c.id == bindparam("row_id")).values(
    {name: bindparam(name) for name in ("attempts", "receipt", "claimed_at", "state", "delivered_at", "last_error",
                                        "next_attempt_at", "sent_at", "sent_key_id")})


def _detail(exc: BaseException) -> str:
    """What went wrong, as the library said it, short enough to store with its sentence."""
    return f"{type(exc).__name__}: {exc}"[:500]


def _event(level: int, event: str, **fields: Any) -> None:
    """One operator event: a JSON line under request_log's formatter, readable text elsewhere."""
    log.log(level, "%s %s", event, " ".join(f"{k}={v}" for k, v in fields.items()),
            extra={"fields": {"event": event, **fields}})


class Exchange:
    """The node's dispatchers, started with the HTTP server and stopped with it."""

    def __init__(self, ctx: NodeContext):
        self.ctx = ctx
        self.dispatchers = [Dispatcher(ctx, partner) for partner in ctx.exchange.partners.values()]
        ctx.outbox_listener = self.wake

    def start(self) -> None:
        for dispatcher in self.dispatchers:
            dispatcher.start()

    def wake(self) -> None:
        for dispatcher in self.dispatchers:
            dispatcher.wake.set()

    def stop(self) -> None:
        for dispatcher in self.dispatchers:
            dispatcher.stop()
        self.ctx.outbox_listener = None
