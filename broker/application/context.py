"""What every use case may touch, handed in by the bootstrap: nothing is built here."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection

from broker.adapters.checkpoint_archive import CheckpointArchive, LeafLogFile
from broker.adapters.vault.clipvault import ClipVault
from broker.adapters.vault.personal_data import PersonalData
from broker.application.consistency import ReadYourWrites
from broker.application.core import BrokerApp
from broker.clock import Clock
from broker.errors import NotFound
from broker.policy import PolicyPack
from broker.readmodel.database import ReadModelDatabase

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    app: BrokerApp
    readmodel: ReadModelDatabase
    consistency: ReadYourWrites
    clock: Clock
    policy: PolicyPack
    vault: ClipVault
    personal_data: PersonalData
    signing_key: Ed25519PrivateKey = field(repr=False)
    scratch_dir: Path
    max_clip_bytes: int
    orphan_age: timedelta
    """Longer than any upload may run: what a writer left older than this is orphaned."""
    checkpoint_archives: Sequence[CheckpointArchive]
    """Where signed checkpoints are kept beside the read model (which a rebuild rewrites)."""
    leaf_log: LeafLogFile
    models_dir: Path = Path(".models")
    delivery_max_downloads: int = 5
    delivery_days: float = 14
    redaction_checkpoint_frames: int = 150


class UseCases:
    """Base of each area's use cases: reads through the read model, waits for own writes."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @contextmanager
    def read(self, after: int | None = None) -> Iterator[Connection]:
        """A read-model connection that sees everything this process wrote, and at least
        everything up to position ``after``."""
        self.ctx.consistency.wait(after)
        with self.ctx.readmodel.reader.connect() as conn:
            yield conn

    def look_up(self, lookup: Callable[[Connection], T], after: int | None = None) -> T:
        """``lookup`` on the read model (it raises NotFound for a miss). A miss is tried once
        more after pulling in everything recorded so far, by any process: a request filed a
        moment ago through another API worker is found, one that never existed is still not."""
        try:
            with self.read(after) as conn:
                return lookup(conn)
        except NotFound:
            self.ctx.consistency.latest()
            with self.read_as_is() as conn:
                return lookup(conn)

    @contextmanager
    def read_as_is(self) -> Iterator[Connection]:
        """A read-model connection as it stands, waiting for nothing: for rows whose commands
        answer only once the read model shows them (API clients), read on every request."""
        with self.ctx.readmodel.reader.connect() as conn:
            yield conn
