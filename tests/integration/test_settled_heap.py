"""A started node freezes its start-up heap, so full collections under load stop walking it."""

from __future__ import annotations

import gc

from tests.support.nodes import running_on


def test_a_started_node_has_frozen_what_start_up_built(tmp_path):
    gc.unfreeze()  # what an earlier node in this process froze
    with running_on("sqlite", tmp_path) as node:
        frozen = gc.get_freeze_count()
        assert node.client().get("/healthz").status_code == 200
    # the routes, rules, reference data and compiled statements: far more than a few stray objects
    assert frozen > 50_000
    # a full collection no longer walks them: it sees what start-up left behind minus the frozen heap
    assert len(gc.get_objects()) < frozen
