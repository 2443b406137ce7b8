"""Engram's Python client: the TypeScript client's operations, in Python's style."""

from __future__ import annotations

import builtins
import enum
import http.client
import json
import socket
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final

from ._transport import QueryValue, Transport
from .errors import EngramError
from .types import (
    BatchItem,
    BatchResponse,
    EntitiesResponse,
    EntityLookup,
    EraseResponse,
    ExportedMemory,
    IndexResponse,
    Memory,
    MemoryPage,
    MemorySummary,
    Metadata,
    SearchFilters,
    SearchResult,
    SummarizeResponse,
    SummaryMethod,
    SummaryStyle,
    Timestamp,
)

__all__ = ["EngramClient", "UNSET", "Unset"]

API: Final = "api/v1/memory"


class Unset(enum.Enum):
    """The type of ``UNSET``: "leave this field out", where ``None`` means JSON ``null``."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
"""The default of ``expires_at`` (``add``, ``update``) and ``source`` (``update``): not sent."""

_TIMESTAMP_FIELDS: Final = ("expires_at", "created_at", "updated_at")


class EngramClient:
    """A client of one Engram service, acting for one user by default.

    Args:
        base_url: the service, e.g. ``http://127.0.0.1:8080`` (the client adds ``/api/v1/memory/...``).
        token: a bearer token (JWT), or a function returning one for each request (to refresh it).
        user_id: the default user of every call (each call's ``user_id=`` overrides it). Without one
            the service acts for the token's subject; ``delete_all`` needs one.
        timeout: seconds to wait for the connection and for each read of the answer (default 30).
        max_retries: how many times a call refused with 429 or 503 is sent again (default 3),
            after the ``Retry-After`` the service gave (at most 10 s), else after a growing back-off.
            GET, PATCH and DELETE are retried on any 429/503 and on network errors; a POST only when
            the service refused it before doing any work (``RATE_LIMITED``, ``OVERLOADED``,
            ``NOT_READY``, ``AUTH_UNAVAILABLE``), never on ``DATABASE_UNAVAILABLE``, which can follow
            a committed write. Timeouts are not retried.

    Every failure raises :class:`EngramError`. Results are the service's JSON objects, typed with
    the TypedDicts of :mod:`engram_client.types`. The token never appears in a repr or an error.
    """

    def __init__(
        self,
        base_url: str,
        token: str | Callable[[], str],
        user_id: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
    ) -> None:
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"base_url must be an http:// or https:// URL, not {base_url!r}")
        if not callable(token) and (not isinstance(token, str) or not token):
            raise ValueError("token must be a non-empty string or a function returning one")
        if timeout <= 0:
            raise ValueError("timeout must be more than 0 seconds")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.base_url: Final = base_url
        self.user_id: Final = user_id
        self.timeout: Final = timeout
        self.max_retries: Final = max_retries
        self._transport = Transport(base_url=base_url, token=token, timeout=timeout, max_retries=max_retries)

    def __repr__(self) -> str:
        return f"EngramClient(base_url={self.base_url!r}, user_id={self.user_id!r})"

    # --- writing ------------------------------------------------------------------------------

    def add(
        self,
        text: str,
        *,
        source: str | None = None,
        metadata: Metadata | None = None,
        ttl_seconds: int | None = None,
        expires_at: Timestamp | None | Unset = UNSET,
        dedup: bool | None = None,
        user_id: str | None = None,
    ) -> IndexResponse:
        """Stores a memory (``POST /index``): chunked, embedded and encrypted by the service.

        ``expires_at`` (a future instant) or ``ttl_seconds`` (from now), not both
        (``VALIDATION_FAILED``); ``expires_at=None`` never expires, overriding the deployment's
        default TTL. When the user already has this text, the answer is that memory with
        ``deduplicated: True`` and nothing is stored; ``dedup=False`` stores a copy.
        """
        body = self._body(
            user_id,
            text=text,
            source=source,
            metadata=metadata,
            ttl_seconds=ttl_seconds,
            dedup=dedup,
        )
        if expires_at is not UNSET:
            body["expires_at"] = None if expires_at is None else _timestamp(expires_at, "expires_at")
        result: IndexResponse = self._transport.json("POST", f"{API}/index", body=body)
        return result

    def add_batch(self, items: Sequence[BatchItem], *, user_id: str | None = None) -> BatchResponse:
        """Stores up to 100 memories in one request (``POST /index/batch``).

        Each item is reported on its own, in order (``status`` 201 stored, 200 deduplicated, or the
        error ``add`` would give, in ``error``): check ``failed`` and the items. A ``datetime`` in
        ``expires_at``, ``created_at`` or ``updated_at`` is sent as RFC 3339.
        """
        sent: builtins.list[dict[str, Any]] = []
        for item in items:
            copy: dict[str, Any] = dict(item)
            for name in _TIMESTAMP_FIELDS:
                value = copy.get(name)
                if isinstance(value, datetime):
                    copy[name] = _timestamp(value, f"items[{len(sent)}].{name}")
            sent.append(copy)
        body = self._body(user_id, items=sent)
        result: BatchResponse = self._transport.json("POST", f"{API}/index/batch", body=body)
        return result

    def update(
        self,
        memory_id: str,
        *,
        text: str | None = None,
        source: str | None | Unset = UNSET,
        metadata: Metadata | None = None,
        expires_at: Timestamp | None | Unset = UNSET,
        ttl_seconds: int | None = None,
        user_id: str | None = None,
    ) -> Memory:
        """Changes a memory (``PATCH /{id}``) and returns it as ``get`` does.

        Only what is given changes. ``text``, ``metadata`` and ``ttl_seconds``: ``None`` (the
        default) leaves them as they are. ``source`` and ``expires_at`` default to ``UNSET`` (left
        as they are); ``source=None`` clears the source, ``expires_at=None`` makes the memory never
        expire. ``metadata`` replaces the whole object (``{}`` clears it). A new text is re-chunked,
        re-embedded and re-indexed under the same id. A text another memory of the user already has
        raises ``EngramError`` 409 ``DUPLICATE_MEMORY`` whose ``memory_id`` names that memory.
        Nothing to change: 400 ``VALIDATION_FAILED``.
        """
        body = self._body(user_id, text=text, metadata=metadata, ttl_seconds=ttl_seconds)
        if source is not UNSET:
            body["source"] = source
        if expires_at is not UNSET:
            body["expires_at"] = None if expires_at is None else _timestamp(expires_at, "expires_at")
        result: Memory = self._transport.json("PATCH", _memory_path(memory_id), body=body)
        return result

    def delete(self, memory_id: str, *, user_id: str | None = None) -> None:
        """Deletes one memory (``DELETE /{id}``); ``NOT_FOUND`` when it is not there (or not the user's)."""
        self._transport.json("DELETE", _memory_path(memory_id), query=self._query(user_id))

    def delete_all(self, *, user_id: str | None = None) -> EraseResponse:
        """Erases the user (``DELETE /?user_id=``): every memory and the user's data key.

        Needs a user id (here or in the client). Safe to repeat: the second answer counts 0.
        """
        uid = user_id if user_id is not None else self.user_id
        if uid is None:
            raise ValueError("delete_all needs a user_id (in the call or the client)")
        result: EraseResponse = self._transport.json("DELETE", API, query={"user_id": uid})
        return result

    # --- reading ------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
        min_score: float | None = None,
        min_relevance: float | None = None,
        rerank: bool | None = None,
        user_id: str | None = None,
    ) -> builtins.list[SearchResult]:
        """The chunks most relevant to ``query``, best first (``POST /query``).

        ``k``: 1-100 (default 10). ``filters``: ``source`` (exact), ``metadata`` (containment),
        ``created_after`` (inclusive) and ``created_before`` (exclusive), instants as ``datetime``
        or RFC 3339 strings. ``min_score`` (-1..1) and ``min_relevance`` (0..1) drop weaker results.
        ``rerank=False`` skips the reranker (each result's ``scores["rerank"]`` is then None).
        """
        sent: dict[str, Any] | None = None
        if filters is not None:
            sent = dict(filters)
            for name in ("created_after", "created_before"):
                if name in sent:
                    sent[name] = _timestamp(sent[name], f"filters.{name}")
        body = self._body(
            user_id,
            query=query,
            k=k,
            filters=sent,
            min_score=min_score,
            min_relevance=min_relevance,
            rerank=rerank,
        )
        answer = self._transport.json("POST", f"{API}/query", body=body)
        results: builtins.list[SearchResult] = answer["results"]
        return results

    def get(self, memory_id: str, *, user_id: str | None = None) -> Memory:
        """One memory with its whole text (``GET /{id}``); ``NOT_FOUND`` for another user's id."""
        result: Memory = self._transport.json("GET", _memory_path(memory_id), query=self._query(user_id))
        return result

    def page(
        self,
        *,
        page_size: int | None = None,
        cursor: str | None = None,
        include_text: bool | None = None,
        max_text_chars: int | None = None,
        user_id: str | None = None,
    ) -> MemoryPage:
        """One page of memories, newest first (``GET /``); pass ``next_cursor`` back as ``cursor``.

        ``page_size``: 1-200 (default 50). ``include_text=False`` leaves the texts out;
        ``max_text_chars`` cuts each text (items then carry ``text_truncated``).
        """
        query: dict[str, QueryValue] = {
            **self._query(user_id),
            "limit": page_size,
            "cursor": cursor,
            "include_text": include_text,
            "max_text_chars": max_text_chars,
        }
        result: MemoryPage = self._transport.json("GET", API, query=query)
        return result

    def list(
        self,
        *,
        page_size: int | None = None,
        include_text: bool | None = None,
        max_text_chars: int | None = None,
        user_id: str | None = None,
    ) -> Iterator[MemorySummary]:
        """Every memory, newest first, fetched a page at a time as you iterate (a generator)."""
        cursor: str | None = None
        while True:
            page = self.page(
                page_size=page_size,
                cursor=cursor,
                include_text=include_text,
                max_text_chars=max_text_chars,
                user_id=user_id,
            )
            yield from page["memories"]
            cursor = page["next_cursor"]
            if not cursor:
                return

    def get_all(
        self,
        *,
        page_size: int | None = None,
        include_text: bool | None = None,
        max_text_chars: int | None = None,
        user_id: str | None = None,
    ) -> builtins.list[MemorySummary]:
        """Every memory as a list (mem0's ``get_all``); prefer ``list`` for large users."""
        return builtins.list(
            self.list(page_size=page_size, include_text=include_text, max_text_chars=max_text_chars, user_id=user_id)
        )

    def export(self, *, user_id: str | None = None) -> Iterator[ExportedMemory]:
        """The user's memories as the service exports them (``GET /export``, NDJSON), newest first.

        A generator: the request is sent when iteration starts, and each memory is parsed as its
        line arrives, so a large export is never held in memory. Closing the generator (or leaving
        a ``for`` loop) closes the connection. A stream cut short raises ``EngramError``
        ``NETWORK_ERROR``.
        """
        query = self._query(user_id)
        response = self._transport.call("GET", f"{API}/export", query=query, accept="application/x-ndjson")
        with response:
            try:
                for raw in response:
                    line = raw.strip()
                    if not line:
                        continue
                    if not raw.endswith(b"\n"):
                        # The last line has no newline: whole JSON, or a stream cut mid-line.
                        try:
                            last: ExportedMemory = json.loads(line)
                        except ValueError:
                            raise EngramError(0, "NETWORK_ERROR", "the export was cut short") from None
                        yield last
                        return
                    item: ExportedMemory = json.loads(line)
                    yield item
            except (TimeoutError, socket.timeout) as err:
                raise EngramError(0, "TIMEOUT", f"no data within {self.timeout} s") from err
            except (http.client.HTTPException, OSError) as err:
                raise EngramError(0, "NETWORK_ERROR", f"the export was cut short ({err!r})") from err

    def summarize(
        self,
        *,
        query: str | None = None,
        memory_ids: Sequence[str] | None = None,
        created_after: Timestamp | None = None,
        created_before: Timestamp | None = None,
        k: int | None = None,
        style: SummaryStyle | None = None,
        method: SummaryMethod | None = None,
        max_sentences: int | None = None,
        max_chars: int | None = None,
        user_id: str | None = None,
    ) -> SummarizeResponse:
        """A summary of the user's memories (``POST /summarize``).

        Give exactly one selector: ``memory_ids`` (1-100), ``query`` (with ``k``, the chunks to
        retrieve) or a time range (``created_after`` and/or ``created_before``). Every sentence in
        ``sources`` names the memory and chunk ids it came from.
        """
        body = self._body(
            user_id,
            query=query,
            memory_ids=None if memory_ids is None else builtins.list(memory_ids),
            created_after=None if created_after is None else _timestamp(created_after, "created_after"),
            created_before=None if created_before is None else _timestamp(created_before, "created_before"),
            k=k,
            style=style,
            method=method,
            max_sentences=max_sentences,
            max_chars=max_chars,
        )
        result: SummarizeResponse = self._transport.json("POST", f"{API}/summarize", body=body)
        return result

    def entities(
        self,
        text: str | None = None,
        *,
        memory_ids: Sequence[str] | None = None,
        persist: bool | None = None,
        user_id: str | None = None,
    ) -> EntitiesResponse:
        """People, places, organisations, dates, ... and their relationships (``POST /entities``).

        From ``text`` or from stored ``memory_ids`` (1-50), exactly one. ``persist=True`` adds
        them to the user's encrypted knowledge graph (needs ``memory:write``).
        """
        body = self._body(
            user_id,
            text=text,
            memory_ids=None if memory_ids is None else builtins.list(memory_ids),
            persist=persist,
        )
        result: EntitiesResponse = self._transport.json("POST", f"{API}/entities", body=body)
        return result

    def entity(self, name: str, *, user_id: str | None = None) -> EntityLookup:
        """One entity of the user's graph by name (``GET /entities?name=``); ``NOT_FOUND`` when unknown."""
        query: dict[str, QueryValue] = {**self._query(user_id), "name": name}
        result: EntityLookup = self._transport.json("GET", f"{API}/entities", query=query)
        return result

    # --- helpers ------------------------------------------------------------------------------

    def _user(self, user_id: str | None) -> str | None:
        return user_id if user_id is not None else self.user_id

    def _query(self, user_id: str | None) -> dict[str, QueryValue]:
        uid = self._user(user_id)
        return {} if uid is None else {"user_id": uid}

    def _body(self, user_id: str | None, **fields: Any) -> dict[str, Any]:
        """The request body: the user, then the given fields; None ones are left out."""
        body: dict[str, Any] = {}
        uid = self._user(user_id)
        if uid is not None:
            body["user_id"] = uid
        body.update({k: v for k, v in fields.items() if v is not None})
        return body


def _memory_path(memory_id: str) -> str:
    if not isinstance(memory_id, str) or not memory_id:
        raise ValueError("memory_id must be a non-empty string")
    return f"{API}/{urllib.parse.quote(memory_id, safe='')}"


def _timestamp(value: object, name: str) -> str:
    """An RFC 3339 string: an aware datetime formatted, a string as given."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name}: a datetime needs a time zone (e.g. datetime.now(timezone.utc))")
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a datetime or an RFC 3339 string, not {type(value).__name__}")

