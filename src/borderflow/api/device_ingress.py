"""Cameras authenticate the way they can; the rest of the node sees one way.

Many cameras can be given only a URL (the key goes in its path) or HTTP Basic credentials
(the key is the password). For paths under /api/v1/devices/ this middleware, the outermost,
turns both into `Authorization: Bearer <key>` and takes the key out of the path, so the
request log, the failed-authentication throttle and the routes never see it anywhere else.
It also holds device pushes to their own body limit (images are larger than JSON).
"""

from __future__ import annotations

import base64
import binascii

from borderflow.api.limits import BodyLimit

PREFIX = "/api/v1/devices/"
KEY_IN_PATH = PREFIX + "k/"


def _credentials(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[str, str | None]:
    """The path without its key segment, and the key the request carries (None: leave it be)."""
    if path.startswith(KEY_IN_PATH):
        key, _, rest = path[len(KEY_IN_PATH):].partition("/")
        return PREFIX + rest, key or None
    for name, value in headers:
        if name == b"authorization":
            scheme, _, encoded = value.decode("latin-1").partition(" ")
            if scheme.lower() == "basic":
                try:
                    _, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    return path, None
                return path, password or None
    return path, None


class DeviceIngress:
    def __init__(self, app):  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            path, key = _credentials(scope["path"], scope["headers"])
            if key is not None:
                headers = [(n, v) for n, v in scope["headers"] if n != b"authorization"]
                scope = {**scope, "path": path, "raw_path": path.encode(),
                         "headers": [*headers, (b"authorization", f"Bearer {key}".encode("latin-1"))]}
        return await self.app(scope, receive, send)


class BodyLimitByPath:
    """BodyLimit with a second, larger limit for device pushes."""

    def __init__(self, app, max_bytes: int, device_max_bytes: int):  # noqa: ANN001
        self.general = BodyLimit(app, max_bytes)
        self.devices = BodyLimit(app, max(device_max_bytes, max_bytes))

    @property
    def max_bytes(self) -> int:
        return self.general.max_bytes

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        chosen = self.devices if scope["type"] == "http" and scope["path"].startswith(PREFIX) else self.general
        return await chosen(scope, receive, send)
