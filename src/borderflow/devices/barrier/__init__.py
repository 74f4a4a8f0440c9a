"""Barriers: the node tells a lane's barrier to open when it decides `open`, and waits for
the barrier to say it did. `base` is the controller interface; `relay` an HTTP relay board,
`simulated` the demo's barrier; `commands` the use cases; `sender` the thread that talks
to the barriers after the decision is committed."""
