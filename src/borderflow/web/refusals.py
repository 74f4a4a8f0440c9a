"""A refusal from a use case, as one line for the next page (in the API's own words)."""

from __future__ import annotations

from borderflow.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed


def describe(exc: DomainError) -> str:
    """A refusal in the API's own words."""
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{p.loc}: {p.msg}" for p in exc.problems)
    if isinstance(exc, NotFound):
        return f"{exc.what} does not exist (or is not visible to you)"
    if isinstance(exc, (Conflict, Forbidden)):
        return exc.detail
    return str(exc)
