"""`GET /metrics`: the node in Prometheus' text format, for a key with the `metrics` role.

What this process counted since it started:

- `borderflow_http_requests_total{method, route, status}` and
  `borderflow_http_request_duration_seconds{method, route}` (a histogram); `route` is the
  route's template (`/api/v1/crossings/{crossing_id}`), `unmatched` for unknown paths;
- `borderflow_barrier_decisions_total{decision, reason_code}`: every plate read answered;
- `borderflow_declarations_total{lane}`: every declaration accepted, by risk lane.

What the database says at each scrape (so every worker answers the same):

- `borderflow_yard_length{gate, direction, state}`: trucks waiting or called in the yard;
- `borderflow_outbox_depth{partner}` and `borderflow_outbox_oldest_age_seconds{partner}`:
  messages not yet delivered to each partner, and how old the oldest is (0: none);
- `borderflow_device_last_contact_age_seconds{device, vendor, gate, lane}` and
  `borderflow_device_silent{…}` (1: silent longer than BORDERFLOW_DEVICE_SILENT_SECONDS);
  `borderflow_barrier_unconfirmed{gate, lane}`: openings no barrier confirmed in time;
- `borderflow_audit_unsequenced` and `borderflow_audit_unsequenced_oldest_age_seconds`: the audit
  sequencer's lag; `borderflow_audit_tree_size`, `borderflow_audit_checkpoint_tree_size`.

And this process's database pool: `borderflow_db_pool_size`, `borderflow_db_pool_checked_out`,
`borderflow_db_pool_overflow`.

Counters are per process: with several workers, each scrape reaches one of them. The
scrape needs `Authorization: Bearer <key>` with role `metrics` (or `supervisor`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from borderflow.api.deps import allowed
from borderflow.store import tables as t

router = APIRouter(tags=["operations"])


class NodeMetrics:
    def __init__(self, ctx) -> None:  # noqa: ANN001
        self.ctx = ctx
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("borderflow_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("borderflow_http_request_duration_seconds", "Time to answer an HTTP request",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.decisions = Counter("borderflow_barrier_decisions", "Barrier answers to plate reads",
                                 ["decision", "reason_code"], registry=self.registry)
        self.declarations = Counter("borderflow_declarations", "Declarations accepted, by risk lane",
                                    ["lane"], registry=self.registry)
        self.registry.register(_FromDatabase(ctx))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    # Counted by the routes from the answer they give (not parsed again from its bytes), and not for
    # an idempotent replay: that accepted or decided nothing new.

    def count_decision(self, view: dict) -> None:
        if view.get("decision"):
            self.decisions.labels(str(view["decision"]), str(view.get("reason_code") or "none")).inc()

    def count_declaration(self, view: dict) -> None:
        if view.get("risk_lane"):
            self.declarations.labels(str(view["risk_lane"])).inc()


class _FromDatabase:
    """Gauges read at scrape time: what is true now, the same from every worker."""

    def __init__(self, ctx) -> None:  # noqa: ANN001
        self.ctx = ctx

    def describe(self):  # noqa: ANN201 - no samples at registration
        return []

    def collect(self):  # noqa: ANN201
        yard = GaugeMetricFamily("borderflow_yard_length", "Trucks in the waiting yard",
                                 labels=["gate", "direction", "state"])
        depth = GaugeMetricFamily("borderflow_outbox_depth", "Messages not yet delivered to the partner",
                                  labels=["partner"])
        oldest = GaugeMetricFamily("borderflow_outbox_oldest_age_seconds",
                                   "Age of the oldest undelivered message (0: none)", labels=["partner"])
        y, o = t.yard.c, t.outbox.c
        now = self.ctx.clock.now()
        with self.ctx.engine.connect() as conn:
            for gate, direction, state, count in conn.execute(
                    select(y.gate, y.direction, y.state, func.count()).where(y.state.in_(("waiting", "called")))
                    .group_by(y.gate, y.direction, y.state)):
                yard.add_metric([gate, direction, state], count)
            pending = {row.recipient: row for row in conn.execute(
                select(o.recipient, func.count().label("n"), func.min(o.created_at).label("first"))
                .where(o.state == "pending").group_by(o.recipient))}
        partners = set(self.ctx.exchange.partners) if self.ctx.exchange else set()
        for partner in sorted(partners | set(pending)):
            row = pending.get(partner)
            depth.add_metric([partner], row.n if row else 0)
            first = row.first if row else None
            if first is not None and first.tzinfo is None:
                from datetime import UTC
                first = first.replace(tzinfo=UTC)
            oldest.add_metric([partner], max(0.0, (now - first).total_seconds()) if first else 0.0)
        yield from (yard, depth, oldest)
        from borderflow.devices import health as device_health
        yield from device_health.metric_families(self.ctx)  # devices silent, barriers unconfirmed
        yield from _pool_gauges(self.ctx.engine.pool)
        yield from _audit_gauges(self.ctx, now)


def _audit_gauges(ctx, now):  # noqa: ANN001, ANN202
    """The audit sequencer's lag: entries not numbered yet and the oldest one's age, the tree and its
    newest signed checkpoint (services/audit_sequencer). A growing age means no sequencer runs."""
    a, c = t.audit_log.c, t.audit_checkpoints.c
    with ctx.engine.connect() as conn:
        waiting, first = conn.execute(select(func.count(), func.min(a.at)).where(a.seq.is_(None))).one()
        size = conn.execute(select(func.max(a.seq))).scalar() or 0
        signed = conn.execute(select(func.max(c.tree_size))).scalar() or 0
    if first is not None and first.tzinfo is None:
        from datetime import UTC
        first = first.replace(tzinfo=UTC)
    for name, help_, value in (
            ("borderflow_audit_unsequenced", "Audit entries written but not yet numbered into the tree", waiting),
            ("borderflow_audit_unsequenced_oldest_age_seconds", "Age of the oldest unnumbered audit entry (0: none)",
             max(0.0, (now - first).total_seconds()) if first else 0.0),
            ("borderflow_audit_tree_size", "Audit entries numbered into the Merkle tree", size),
            ("borderflow_audit_checkpoint_tree_size", "Entries covered by the newest signed checkpoint", signed)):
        yield GaugeMetricFamily(name, help_, value=value)


def _pool_gauges(pool):  # noqa: ANN001, ANN202
    """This process's connection pool (QueuePool): a pool always at its size with overflow in use
    means requests wait for a connection; raise the pool or find the slow transaction."""
    for name, help_, read in (
            ("borderflow_db_pool_size", "Connections the pool keeps open", "size"),
            ("borderflow_db_pool_checked_out", "Pool connections in use now", "checkedout"),
            ("borderflow_db_pool_overflow", "Connections open beyond the pool's size (negative: not yet opened)",
             "overflow")):
        reader = getattr(pool, read, None)
        if reader is not None:
            yield GaugeMetricFamily(name, help_, value=reader())


@router.get("/metrics", summary="Prometheus metrics (role metrics or supervisor)", response_class=Response,
            dependencies=[allowed("metrics.read")])
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(await run_in_threadpool(generate_latest, registry), media_type=CONTENT_TYPE_LATEST)
