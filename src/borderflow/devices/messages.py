"""What the node says to a device's integrator: a stable code, its params, and English text.

The code and params are the contract (clients translate them); `text` renders the English.
Screen text about devices (the console) goes through the web catalogues instead.
"""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "device.body_empty": "the request has no body; expected {expected}",
    "device.content_type": "content type {got!r} is not accepted here; expected {expected}",
    "device.xml_malformed": "the XML is not well-formed ({error}); expected an ISAPI EventNotificationAlert",
    "device.xml_forbidden": "the XML declares a DTD, an entity or an external reference; such XML is refused",
    "device.json_malformed": "the body is not valid JSON ({error}); expected {expected}",
    "device.multipart_malformed": "the multipart body cannot be read ({error}); expected multipart/form-data "
                                  "with a boundary",
    "device.multipart_no_event": "no {expected} part in the multipart body; expected it beside the JPEG parts",
    "device.field_missing": "{field} is missing; expected {expected}",
    "device.field_invalid": "{field} is {got!r}; expected {expected}",
    "device.image_too_large": "image {name} is {size} bytes; at most {limit} bytes are accepted per image",
    "device.image_not_jpeg": "image {name} is not a JPEG; expected JPEG data (starting FF D8 FF)",
    "device.image_base64": "image {name} is not valid base64; expected the JPEG encoded in base64",
    "device.too_many_images": "{count} images in one push; at most {limit} are accepted",
    "device.no_image": "the push carries no image; expected one JPEG of the vehicle",
    "device.not_registered": "this key belongs to no registered device; register the device with "
                             "`borderflow device add --vendor … --gate … --lane …` and use the key it prints",
    "device.wrong_vendor": "this device is registered as {vendor} ({kind}); it posts to {expected}",
    "device.ocr_unavailable": "this node cannot read plates from images: its plate reader "
                              "(borderflow.devices.ocr) is not installed",
    "device.heartbeat_state": "state {got!r} is not a barrier state; expected one of open, closed, fault",
    "evidence.unknown": "no image with SHA-256 {sha256} is kept on this node",
    "evidence.purged": "image {sha256} was removed at the end of its retention period ({keep_until})",
    "barrier.unknown_command": "no barrier command {command_id} for this device",
    "barrier.not_unconfirmed": "barrier command {command_id} needs no acknowledgement (it is {state})",
}


def text(code: str, **params: object) -> str:
    return TEXTS[code].format(**params)
