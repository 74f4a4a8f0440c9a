"""multipart/form-data bodies as cameras send them: a few named parts, read whole.

python-multipart (the parser Starlette uses) does the parsing; this only collects each
part's name, file name, content type and bytes, and turns its errors into a refusal.
A body that ends before its closing boundary is refused too: a part cut short is not kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

from borderflow.devices.base import PushRejected

MAX_PARTS = 16


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes

    def is_named(self, *names: str) -> bool:
        wanted = {n.lower() for n in names}
        return self.name.lower() in wanted or (self.filename or "").lower() in wanted


def is_multipart(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def parts(content_type: str, body: bytes) -> list[Part]:
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise PushRejected(400, "device.multipart_malformed", "body", error="no boundary in the Content-Type")
    found: list[Part] = []
    state: dict = {}
    finished = False

    def begin() -> None:
        state.update(headers={}, field=b"", value=b"", chunks=[])

    def end() -> None:
        if len(found) >= MAX_PARTS:
            raise PushRejected(400, "device.multipart_malformed", "body", error=f"more than {MAX_PARTS} parts")
        disposition = parse_options_header(state["headers"].get(b"content-disposition", b""))[1]
        filename = disposition.get(b"filename")
        found.append(Part(name=disposition.get(b"name", b"").decode("utf-8", "replace"),
                          filename=filename.decode("utf-8", "replace") if filename is not None else None,
                          content_type=state["headers"].get(b"content-type", b"").decode("latin-1").strip(),
                          data=b"".join(state["chunks"])))

    def header_end() -> None:
        state["headers"][state["field"].strip().lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def done() -> None:
        nonlocal finished
        finished = True

    callbacks = {
        "on_part_begin": begin,
        "on_header_field": lambda data, start, stop: state.__setitem__("field", state["field"] + data[start:stop]),
        "on_header_value": lambda data, start, stop: state.__setitem__("value", state["value"] + data[start:stop]),
        "on_header_end": header_end,
        "on_part_data": lambda data, start, stop: state["chunks"].append(bytes(data[start:stop])),
        "on_part_end": end,
        "on_end": done,
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise PushRejected(400, "device.multipart_malformed", "body", error=str(exc) or "unexpected data") from None
    if not finished or not found:
        raise PushRejected(400, "device.multipart_malformed", "body", error="the closing boundary never came")
    return found
