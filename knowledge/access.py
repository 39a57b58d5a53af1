"""Who reads, and which documents they may read (issue #14: access per document).

A document carries the groups that may read it (`DocumentRecord.access`, stored as the
array `access` in the metadata of its document record, chunks, spans and registers).
A reader is one `Access`: the groups of a signed-in user, a key or a Teams user,
always with `OPEN_GROUP` ("alla"), which every signed-in user belongs to. The
interfaces make one `Access` per request and pass it down through the assistant into
the knowledge base; every read of the store expresses it as a Chroma `where` clause
(`where`), so a document outside it is never read, not filtered out afterwards.

`Access.everything()` reads every document: administrators (an admin key, or a user in
an admin group) and the command line without a key (it runs where the store is).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.store import DocumentRecord

OPEN_GROUP = "alla"
"""The group of every signed-in user: a document with it is open to all (issue #14)."""
ACCESS_FIELD = "access"
"""Metadata key of a record's groups (a Chroma string array, matched with $contains)."""
ACCESS_VERSION = "1"
"""Version of the access metadata in a store (`Manifest.access`): a store built before
it has none, so its chunks would match no reader; it is refused with a rebuild hint."""


def normalise_groups(groups: Iterable[str]) -> tuple[str, ...]:
    """Groups stripped, in order, without repeats or empty names."""
    return tuple(dict.fromkeys(g.strip() for g in groups if g and g.strip()))


@dataclass(frozen=True)
class Access:
    """The documents one reader may read: those whose groups meet `groups` (which holds
    `OPEN_GROUP`), or every document when `all_documents`."""

    groups: frozenset[str] = frozenset({OPEN_GROUP})
    all_documents: bool = False
    versions: frozenset[str] | None = None
    """Set by `admitted`: the document versions (keys) a read holding this reader's
    filter returned, by which a read by id may select instead (`by_id`)."""

    @classmethod
    def of(cls, groups: Iterable[str]) -> Access:
        """A reader in `groups` (and, as every signed-in reader, in "alla")."""
        return cls(frozenset(normalise_groups(groups)) | {OPEN_GROUP})

    @classmethod
    def everything(cls) -> Access:
        return cls(frozenset({OPEN_GROUP}), all_documents=True)

    @property
    def scope(self) -> str:
        """A stable name of what this reader reads, for caches: '*' for everything."""
        return "*" if self.all_documents else "\n".join(sorted(self.groups))

    def admits(self, record: DocumentRecord) -> bool:
        """Whether the reader may read `record` (for checks after the store's own)."""
        return self.all_documents or bool(self.groups.intersection(record.access))

    def where(self) -> dict[str, object] | None:
        """The Chroma filter of the records this reader may read; None for everything."""
        if self.all_documents:
            return None
        clauses: list[dict[str, object]] = [
            {ACCESS_FIELD: {"$contains": g}} for g in sorted(self.groups)
        ]
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    def admitted(self, keys: Iterable[str]) -> Access:
        """This reader, for reads by id of records of the versions `keys`, which must come
        from a read that held this reader's filter (`where`): the live documents it may
        read. Such a read then selects by those keys (`by_id`), which Chroma matches by
        its metadata index, rather than by the groups' `$contains`, which it evaluates
        by scanning the collection (24 s for 60 chunks of 62 000 on a Chroma server,
        issue #15). What it may read is the same: those versions are the reader's."""
        return replace(self, versions=frozenset(keys))

    def by_id(
        self, where: dict[str, object] | None, keys: Collection[str] | None
    ) -> dict[str, object] | None:
        """The filter of a read by id: `where` (the ids' clause) with this reader's.
        `keys` are the versions of the records read (None when unknown). With admitted
        versions (`admitted`) and `keys` known, the reader's clause is the keys both
        hold (none: a clause nothing matches); else the groups' (`restrict`)."""
        if self.all_documents:
            return where
        if self.versions is None or keys is None:
            return self.restrict(where)
        mine = sorted(self.versions.intersection(keys)) or [NO_VERSION]
        clause: dict[str, object] = {"key": mine[0]} if len(mine) == 1 else {"key": {"$in": mine}}
        return clause if where is None else {"$and": [where, clause]}

    def restrict(self, where: dict[str, object] | None) -> dict[str, object] | None:
        """`where` and this reader's filter, in one Chroma clause."""
        mine = self.where()
        if mine is None or where is None:
            return mine or where
        return {"$and": [where, mine]}


NO_VERSION = ""
"""A version key no record has (keys are `<doc_id>@<hash>`): the clause of a read by id
whose records' versions the reader was not admitted to."""

PUBLIC = Access()
"""A reader with no groups of their own: the documents open to all ("alla")."""
