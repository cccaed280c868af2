"""Errors that reach the user: each says what went wrong and what to do."""

from __future__ import annotations


class ShopetlError(RuntimeError):
    exit_code = 1


class RefusedInput(ShopetlError):
    """The delivery cannot be loaded as it is (e.g. a required column is missing)."""

    exit_code = 3


class BatchFailed(ShopetlError):
    """The batch was processed but not applied (reject threshold, failed error check)."""

    exit_code = 1


class ConcurrentRun(ShopetlError):
    """Another `shopetl load` holds the pipeline lock on this database."""

    exit_code = 5
