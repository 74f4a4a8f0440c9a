"""The node's messages in the reader's language: Vietnamese, Chinese or English.

The domain says codes with params (`borderflow.domain.messages`); this adapter renders
them from the Babel catalogues of the `node` gettext domain (msgctxt = code, msgid = the
English template), with numbers, times and names as each language writes them.
"""

from borderflow.i18n.catalogue import LANGS, DEFAULT, from_header, render, render_code
from borderflow.i18n.localize import LocalizeApi, localize

__all__ = ["DEFAULT", "LANGS", "LocalizeApi", "from_header", "localize", "render", "render_code"]
