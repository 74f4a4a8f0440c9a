"""Which vendors the node speaks to, and what kind of device each is (cheap to import: the CLI's
help names them)."""

VENDORS = {"hikvision": "camera", "dahua": "camera", "snapshot": "camera", "relay": "barrier",
           "simulated": "barrier"}
