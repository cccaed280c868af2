"""GraphQL errors: what a client sees of a failure, and nothing more.

Database errors carry their SQLSTATE as ``extensions.code``. Errors the api functions raise
for clients (classes 22 data exception, 23 integrity, P0 raised by PL/pgSQL) keep their
message and hint; the statement timeout and a busy pool get a fixed, actionable message;
anything else becomes "internal error" and its details go to the server log only.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from tartiflette import TartifletteError

log = logging.getLogger("shopetl_graphql")

#: SQLSTATE classes whose messages are written for API clients.
CLIENT_CLASSES = ("22", "23", "P0")

_FIXED = {
    "57014": "the query took longer than the statement timeout; narrow it (shorter period, smaller page)",
    "40001": "the query conflicted with a concurrent write; retry it",
    "40P01": "the query conflicted with a concurrent write; retry it",
    "53300": "the database has no free connection; retry later",
}


class ApiError(TartifletteError):
    """An error for the client, with a code in ``extensions``."""

    def __init__(self, message: str, code: str, hint: str | None = None) -> None:
        extensions: dict[str, Any] = {"code": code}
        if hint:
            extensions["hint"] = hint
        super().__init__(message, extensions=extensions)


def from_database(exc: psycopg.Error, function: str) -> ApiError:
    """The client's view of a database error raised while calling ``api.<function>``."""
    code = exc.sqlstate or "08006"
    if code in _FIXED:
        return ApiError(_FIXED[code], code)
    if code[:2] in CLIENT_CLASSES:
        diag = exc.diag
        return ApiError(diag.message_primary or str(exc), code, diag.message_hint or None)
    if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
        log.error("database unavailable calling api.%s: %s", function, exc)
        return ApiError("the database is unavailable; retry later", "DATABASE_UNAVAILABLE")
    log.error("internal database error calling api.%s (SQLSTATE %s): %s", function, code, exc)
    return ApiError(f"internal error (SQLSTATE {code}); the server log has the details", code)


def internal(exc: BaseException, where: str) -> ApiError:
    log.exception("internal error in %s: %s", where, exc)
    return ApiError("internal server error; the server log has the details", "INTERNAL")
