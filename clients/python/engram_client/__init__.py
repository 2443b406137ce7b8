"""Engram's Python client (standard library only).

    from engram_client import EngramClient, EngramError
    engram = EngramClient("http://127.0.0.1:8080", token, user_id="alice")
    engram.add("Alice is allergic to hazelnuts.", source="chat")
    hits = engram.search("what can she not eat?", k=3)
"""

from .client import UNSET, EngramClient, Unset
from .errors import EngramError
from .types import (
    BatchItem,
    BatchItemResult,
    BatchResponse,
    EntitiesResponse,
    EntityLookup,
    EraseResponse,
    ExportedMemory,
    IndexResponse,
    Memory,
    MemoryPage,
    MemorySummary,
    SearchFilters,
    SearchResult,
    SummarizeResponse,
)

__version__ = "0.1.0"

__all__ = [
    "EngramClient",
    "EngramError",
    "UNSET",
    "Unset",
    "BatchItem",
    "BatchItemResult",
    "BatchResponse",
    "EntitiesResponse",
    "EntityLookup",
    "EraseResponse",
    "ExportedMemory",
    "IndexResponse",
    "Memory",
    "MemoryPage",
    "MemorySummary",
    "SearchFilters",
    "SearchResult",
    "SummarizeResponse",
    "__version__",
]
