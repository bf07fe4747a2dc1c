"""One error hierarchy: the tasks decide retry or stop by the class alone."""

from __future__ import annotations


class NashrError(Exception):
    """Root of every error nashr raises on purpose."""


class TransientError(NashrError):
    """A failure that may pass (a lock, a lost connection): retried with backoff."""


class BrokerUnavailable(TransientError):
    """The broker did not take a message: the database still holds what it was for."""


class OutputUnavailable(NashrError):
    """One output could not be rendered: recorded against it; readers get 503 for it alone."""


class PermanentError(NashrError):
    """A failure that retrying cannot fix: the version goes to `failed`."""


class ArticleRejected(PermanentError):
    """The submission breaks editorial rules; every reason is listed for the editor."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)
