# JetStream message storage: the `StreamStore` contract (base), an in-memory back-end and a file
# back-end on SQLite with group commit. The stream and consumer layers use only what is exported here.
from __future__ import annotations

from ._host import WriterHost
from .base import (
    AckPolicy,
    ConsumerState,
    ConsumerStore,
    Pending,
    SequencePair,
    SimpleState,
    StoreClosed,
    StoreCorrupt,
    StoreError,
    StoreMsg,
    StreamState,
    StreamStore,
    WriterLost,
)
from .memory import MemoryStore
from .sqlite import FileStore, list_streams, streams_dir

__all__ = [
    "AckPolicy",
    "ConsumerState",
    "ConsumerStore",
    "FileStore",
    "MemoryStore",
    "Pending",
    "SequencePair",
    "SimpleState",
    "StoreClosed",
    "StoreCorrupt",
    "StoreError",
    "StoreMsg",
    "StreamState",
    "StreamStore",
    "WriterHost",
    "WriterLost",
    "list_streams",
    "streams_dir",
]
