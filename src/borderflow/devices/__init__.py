"""The devices at the gate: ANPR cameras, plain cameras and barriers, one package per vendor.

A camera's push (`hikvision/`, `dahua/`, `snapshot/`) is parsed by its adapter into a
`base.PlateRead` (or a `base.Heartbeat`); `ingest` stores its images as evidence and hands
the read to the gate's use case (`services/gate.record`), exactly like a read posted in the
node's own JSON. A decision to open is passed to the lane's barrier (`barrier/`), whose
confirmation is awaited; `health` says which device has gone silent. `registry` maps each
device's own API key to its gate and lane.
"""
