"""A refusal from a use case, as one line for the next page, in the screen's language."""

from __future__ import annotations

from borderflow.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from borderflow.domain.messages import Message, say
from borderflow.web import i18n


def describe(exc: DomainError, lang: str | None = None) -> str:
    """What refused, in the words of the node's catalogue; fields by their labels."""
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{i18n.field_label(p.loc, lang)}: {i18n.say(p.message or p.msg, lang)}"
                         for p in exc.problems)
    if isinstance(exc, NotFound):
        what = exc.what if isinstance(exc.what, Message) else i18n.node_catalogue.message_of(exc.what) or exc.what
        return str(i18n.say(say("problem.not_found", what=what), lang))
    if isinstance(exc, (Conflict, Forbidden)):
        return str(i18n.say(exc.detail, lang))
    return str(exc)
