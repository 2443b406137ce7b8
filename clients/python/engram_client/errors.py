"""The error every failed call raises."""

from __future__ import annotations

__all__ = ["EngramError"]


class EngramError(Exception):
    """What the service answered when a request failed, or why no answer came.

    Attributes:
        status: the HTTP status; 0 when no response arrived (network error, timeout).
        code: the service's stable error code (``VALIDATION_FAILED``, ``NOT_FOUND``,
            ``CROSS_TENANT``, ``DUPLICATE_MEMORY``, ``RATE_LIMITED``, ...); ``NETWORK_ERROR`` or
            ``TIMEOUT`` when no response arrived; ``HTTP_<status>`` when the body was not the
            service's error body (a proxy's page, say).
        message: the service's ``detail`` (its wording may change: match on ``code``).
        memory_id: for ``409 DUPLICATE_MEMORY``, the memory that already holds the text.
        request_id: the service's request id (also in its logs), when it answered.

    Neither the message nor the repr ever holds the bearer token.
    """

    status: int
    code: str
    message: str
    memory_id: str | None
    request_id: str | None

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        memory_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.status = status
        self.code = code
        self.message = message
        self.memory_id = memory_id
        self.request_id = request_id

    @property
    def detail(self) -> str:
        """The service's ``detail`` (the TypeScript client's name for ``message``)."""
        return self.message

    def __repr__(self) -> str:
        parts = [f"status={self.status}", f"code={self.code!r}", f"message={self.message!r}"]
        if self.memory_id is not None:
            parts.append(f"memory_id={self.memory_id!r}")
        if self.request_id is not None:
            parts.append(f"request_id={self.request_id!r}")
        return f"EngramError({', '.join(parts)})"

    def __reduce__(self) -> tuple[type[EngramError], tuple[int, str, str, str | None, str | None]]:
        return (EngramError, (self.status, self.code, self.message, self.memory_id, self.request_id))
