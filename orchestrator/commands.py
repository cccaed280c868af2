"""Registers the pipeline's sub-commands; each lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import logging

log = logging.getLogger(__name__)

#: Modules exposing ``register(subparsers)``; the GraphQL server lives in its own package.
COMMAND_MODULES = ("shopetl.load_cmd", "shopetl.checks_cmd", "shopetl_graphql.cli")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
