"""Render the Jinja-templated SQL stages exactly as they run, so a DBA can run them by hand.

A stage is one file in ``sql/transforms`` (``NN_name.sql``); its name is ``name``. Templates
receive literal values only (run id, timestamps, file keys), rendered as SQL literals, so the
rendered text needs no bind parameters: ``shopetl render validate_orders | psql``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

_STAGE_FILE = re.compile(r"^(\d{2})_([a-z0-9_]+)\.sql$")


def sql_literal(value: Any) -> str:
    """A SQL literal for a Python value (used by the ``lit`` filter)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"'{value.isoformat()}'::timestamptz"
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'::date"
    if isinstance(value, (list, tuple)):
        return "array[" + ", ".join(sql_literal(v) for v in value) + "]::text[]"
    return "'" + str(value).replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Stage:
    order: int
    name: str
    path: Path


class Renderer:
    """Finds and renders the stages of one SQL folder (``sql/transforms`` or ``sql/checks``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(folder)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
        )
        self.env.filters["lit"] = sql_literal
        self.env.filters["ident"] = sql_ident

    def stages(self) -> list[Stage]:
        out = []
        for path in sorted(self.folder.glob("*.sql")):
            m = _STAGE_FILE.match(path.name)
            if m:
                out.append(Stage(int(m.group(1)), m.group(2), path))
        return out

    def stage(self, name: str) -> Stage:
        for s in self.stages():
            if name in (s.name, s.path.stem, s.path.name):
                return s
        known = ", ".join(s.name for s in self.stages())
        raise KeyError(f"no stage named {name!r} in {self.folder} (known: {known})")

    def render(self, name: str, **context: Any) -> str:
        stage = self.stage(name)
        header = f"-- shopetl stage {stage.path.name}\n"
        return header + self.env.get_template(stage.path.name).render(**context)
