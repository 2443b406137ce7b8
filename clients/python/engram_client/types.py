"""The shapes of the service's answers and of the structured arguments, as TypedDicts.

Results are the service's JSON objects as plain ``dict``s, typed with these TypedDicts: a type
checker sees the fields, the values are what the service sent (timestamps stay RFC 3339 strings,
``metadata`` is passed through untouched), and a field a newer service adds is kept, not dropped.
The names and fields follow ``openapi.v1.json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NotRequired, Required, TypedDict, Union

__all__ = [
    "Metadata",
    "Timestamp",
    "IndexResponse",
    "BatchItem",
    "BatchItemError",
    "BatchItemResult",
    "BatchResponse",
    "SearchFilters",
    "ScoreParts",
    "SearchResult",
    "Memory",
    "MemorySummary",
    "ExportedMemory",
    "MemoryPage",
    "EraseResponse",
    "SummaryStyle",
    "SummaryMethod",
    "SummarySource",
    "SummarizeResponse",
    "EntityType",
    "Entity",
    "Relationship",
    "EntitiesResponse",
    "EntityMemory",
    "EntityLookup",
]

Metadata = dict[str, Any]
"""A JSON object, stored unencrypted and filterable; passed to and from the service untouched."""

Timestamp = Union[datetime, str]
"""An instant to send: a timezone-aware ``datetime``, or an RFC 3339 string with a time zone."""


class IndexResponse(TypedDict):
    """``POST /index``: the stored memory (or, ``deduplicated``, the one the user already had)."""

    memory_id: str
    chunk_ids: list[str]
    chunk_count: int
    created_at: str
    updated_at: str
    expires_at: str | None
    deduplicated: bool


class BatchItem(TypedDict, total=False):
    """One memory of ``add_batch``: the ``add`` fields (timestamps as ``datetime`` or string)."""

    text: Required[str]
    source: str
    metadata: Metadata
    expires_at: Timestamp | None
    ttl_seconds: int
    dedup: bool
    created_at: Timestamp
    updated_at: Timestamp


class BatchItemError(TypedDict):
    code: str
    detail: str


class BatchItemResult(TypedDict):
    """``status`` 201 stored, 200 deduplicated, else the error ``POST /index`` would give (in ``error``)."""

    index: int
    status: int
    memory_id: NotRequired[str]
    chunk_ids: NotRequired[list[str]]
    chunk_count: NotRequired[int]
    created_at: NotRequired[str]
    updated_at: NotRequired[str]
    expires_at: NotRequired[str | None]
    deduplicated: NotRequired[bool]
    error: NotRequired[BatchItemError]


class BatchResponse(TypedDict):
    items: list[BatchItemResult]
    stored: int
    deduplicated: int
    failed: int


class SearchFilters(TypedDict, total=False):
    """``source``: exact; ``metadata``: containment; ``created_after`` inclusive, ``created_before`` exclusive."""

    source: str
    metadata: Metadata
    created_after: Timestamp
    created_before: Timestamp


class ScoreParts(TypedDict):
    vector: float | None
    keyword: float | None
    fused: float
    context: float
    rerank: float | None


class ContextFrom(TypedDict):
    """The neighbouring memory whose stronger match gave a result its context score."""

    memory_id: str
    chunk_id: str


class SearchResult(TypedDict):
    """One chunk of ``search``, best first (a memory can appear more than once)."""

    memory_id: str
    chunk_id: str
    text: str
    score: float
    relevance: float
    scores: ScoreParts
    context_from: ContextFrom | None
    source: str | None
    metadata: Metadata
    created_at: str


class Memory(TypedDict):
    """``get`` and ``update``: one memory with its whole text."""

    memory_id: str
    text: str
    source: str | None
    metadata: Metadata
    chunk_ids: list[str]
    created_at: str
    updated_at: str
    expires_at: str | None


class MemorySummary(TypedDict):
    """A list item: ``text`` is absent with ``include_text=False``; ``text_truncated`` comes with ``max_text_chars``."""

    memory_id: str
    text: NotRequired[str]
    text_truncated: NotRequired[bool]
    source: str | None
    metadata: Metadata
    chunk_count: int
    created_at: str
    updated_at: str
    expires_at: str | None


class ExportedMemory(TypedDict):
    """A line of the export: a list item with its whole text."""

    memory_id: str
    text: str
    source: str | None
    metadata: Metadata
    chunk_count: int
    created_at: str
    updated_at: str
    expires_at: str | None


class MemoryPage(TypedDict):
    memories: list[MemorySummary]
    next_cursor: str | None


class EraseResponse(TypedDict):
    memories_deleted: int
    key_destroyed: bool


SummaryStyle = Literal["bullets", "paragraph", "tldr", "timeline"]
SummaryMethod = Literal["auto", "extractive", "llm"]


class SummarySource(TypedDict):
    sentence: str
    memory_ids: list[str]
    chunk_ids: list[str]
    created_at: str


class SummarizeResponse(TypedDict):
    summary: str
    style: SummaryStyle
    method: Literal["extractive", "llm"]
    fallback_reason: str | None
    sources: list[SummarySource]
    memory_count: int
    truncated: bool


EntityType = Literal[
    "person", "organization", "place", "date", "money", "quantity", "email", "url", "event", "product"
]


class Entity(TypedDict):
    name: str
    type: EntityType
    mentions: int
    salience: float


class Relationship(TypedDict):
    source: str
    predicate: str
    target: str
    evidence: str
    memory_id: str | None
    chunk_id: str | None


class EntitiesResponse(TypedDict):
    entities: list[Entity]
    relationships: list[Relationship]
    persisted: bool


class EntityHeader(TypedDict):
    name: str
    type: EntityType
    mentions: int


class EntityMemory(TypedDict):
    memory_id: str
    chunk_ids: list[str]
    text: str
    created_at: str


class EntityLookup(TypedDict):
    entity: EntityHeader
    relationships: list[Relationship]
    memories: list[EntityMemory]
