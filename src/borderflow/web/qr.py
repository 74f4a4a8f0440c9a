"""The driver page's link as a QR code a dispatcher prints or sends: drawn on the node by segno
(pure Python, no imaging library), as inline SVG for the page and PNG for a message."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from markupsafe import Markup

ERROR = "m"  # survives a crumpled printout or a cracked phone screen (15 % of the code)
SCALE_SVG, SCALE_PNG, BORDER = 5, 8, 4


def driver_link(base: str, reference: str, plate: str) -> str:
    """The full address of a truck's status page. No language: the driver's phone chooses."""
    return f"{base.rstrip('/')}/driver?{urlencode({'reference': reference, 'plate': plate})}"


def svg(link: str, title: str) -> Markup:
    code = segno.make(link, error=ERROR, micro=False)
    # a viewBox and no fixed size: the page and the printout size it
    return Markup(code.svg_inline(scale=SCALE_SVG, border=BORDER, title=title, svgclass="qr", lineclass=None,
                                  omitsize=True))


def png(link: str) -> bytes:
    out = io.BytesIO()
    segno.make(link, error=ERROR, micro=False).save(out, kind="png", scale=SCALE_PNG, border=BORDER)
    return out.getvalue()
