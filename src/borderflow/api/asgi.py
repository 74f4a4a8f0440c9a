"""Import target for multi-worker uvicorn: each worker builds its own context from the environment.

These processes serve HTTP only; the background work runs once, in `borderflow worker` or in
`serve`'s supervising process (BORDERFLOW_HTTP_ONLY says a worker is expected elsewhere)."""

import os

from borderflow.api.app import create_app
from borderflow.bootstrap import build_context
from borderflow.settings import load_settings

_settings = load_settings()
_ctx = build_context(_settings, upgrade=False)
app = create_app(_ctx, max_body_bytes=_settings.max_body_bytes or _ctx.node_file.max_body_bytes,
                 run_exchange=False, run_background=False,
                 worker_elsewhere=os.environ.get("BORDERFLOW_HTTP_ONLY", "1") == "1")
