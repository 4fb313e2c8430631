"""Former home of the resilience kinds' finalizers, kept for importers.

The definitions (fields, finalizers, views) now live in ``extractor/kinds/``: ``retry_policy``,
``circuit_breaker``, ``replica_read``, ``id_generation``, ``idempotency_key``.
"""

from __future__ import annotations

from .kinds.convert import ms_field, number, texts
from .kinds.retry_policy import BACKOFFS, RetryReading, combine_backoff, delay_backoff

__all__ = ["BACKOFFS", "RetryReading", "combine_backoff", "delay_backoff", "ms_field", "number", "texts"]
