"""The bodies of `documents add | list | show | set-current | archive` (database needed)."""

from __future__ import annotations

import argparse

from bot import cli_texts as texts
from bot.commands.documents import (
    ACTOR,
    BUNDLED_KEYS,
    confirm,
    document_row,
    is_terminal,
    print_json,
)
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.runner import with_database
from bot.database import Database
from bot.library_source import analysed, build_library, cache_dir_of, read_stored
from bot.preview import preview_lines, read_file
from bot.settings import Settings
from handlers.directives import new_directive, proposals_of
from knowledge import Document, Library
from knowledge.ingest import Ingested
from knowledge.ingest.preview import describe
from storage.models import Directive, DirectiveStatus
from storage.queries.directives import (
    add_directive,
    archive_directive,
    find_duplicate,
    get_directive,
    list_directives,
    set_current,
)


async def library_of(db: Database, settings: Settings) -> tuple[Library, list[Directive]]:
    """Return this process's library (as a bot would build it) and the stored rows."""
    async with db.sessions() as session:
        rows = await list_directives(session)
        stored = await read_stored(session)
    return build_library(settings, stored), rows


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """Preview a directive file, then store it once confirmed."""
    ingested = read_file(args.file)
    doc = ingested.document
    new = new_directive(ingested, args.file.name)
    sha = new.sha256

    async def check(db: Database) -> None:
        async with db.sessions() as session:
            twin = await find_duplicate(session, number=doc.number, sha256=sha)
        if twin is not None and twin.number == doc.number:
            where = texts.DOC_STORED_WHERE.format(id=twin.id)
            raise UsageError(texts.DOC_DUPLICATE_NUMBER.format(number=doc.number, where=where))
        if twin is not None:
            raise UsageError(texts.DOC_DUPLICATE_CONTENT.format(id=twin.id, number=twin.number))
        # stored ones are found above: only the bundled and DOCUMENTS_DIR ones are left
        if any(d.number == doc.number for d in build_library(settings, []).documents):
            where = texts.DOC_BUNDLED_WHERE
            raise UsageError(texts.DOC_DUPLICATE_NUMBER.format(number=doc.number, where=where))

    with_database(settings, check)
    print("\n".join(preview_lines(describe(ingested))))
    if not args.yes:
        if not is_terminal():
            raise UsageError(texts.DOC_NEED_YES)
        current = texts.DOC_CONFIRM_CURRENT if args.current else ""
        if not confirm(texts.DOC_CONFIRM.format(current=current)):
            print(texts.DOC_CANCELLED)
            return EXIT_OK
    proposals = proposals_of(doc)

    async def store(db: Database) -> Directive:
        async with db.sessions() as session:
            return await add_directive(
                session, new=new, actor=ACTOR, make_current=args.current, proposals=proposals
            )

    row = with_database(settings, store)
    analysed(ingested.text, args.file.name, cache_dir_of(settings), doc)  # warm the cache
    current = texts.DOC_ADDED_CURRENT if args.current else ""
    print(
        texts.DOC_ADDED.format(
            id=row.id,
            kind=doc.metadata.kind,
            number=doc.number,
            tasks=len(doc.tasks),
            current=current,
        )
    )
    if proposals:
        print(texts.DOC_PROPOSED.format(count=len(proposals)))
    return EXIT_OK


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """List the library's directives: the bundled ones and the stored ones."""
    library, rows = with_database(settings, lambda db: library_of(db, settings))
    by_number = {r.number: r for r in rows}
    data = [document_row(d, by_number.get(d.number), library) for d in _in_order(library)]
    if args.json:
        print_json(data)
        return EXIT_OK
    from bot.commands.deadlines import format_table

    table = [
        [
            str(item["id"]) if item["id"] is not None else texts.DOC_BUNDLED_ID,
            item["number"],
            item["kind"],
            item["title"][:50],
            _date_text(item["issued"]),
            str(item["tasks"]),
            _state(item),
        ]
        for item in data
    ]
    print(format_table(texts.DOC_HEADERS, table))
    return EXIT_OK


def _in_order(library: Library) -> list[Document]:
    """Return the documents oldest first by issue date (as added when undated)."""
    return sorted(library.documents, key=lambda d: (d.metadata.issued is None, d.metadata.issued))


def _date_text(iso: str | None) -> str:
    if not iso:
        return ""
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _state(item: dict[str, object]) -> str:
    if item["current"]:
        return texts.DOC_STATE_CURRENT
    return texts.DOC_STATE_ARCHIVED if item["archived"] else texts.DOC_STATE_ACTIVE


async def _find(db: Database, key: str) -> Directive | None:
    async with db.sessions() as session:
        return await get_directive(session, key=key)


def _is_bundled(key: str, library: Library, rows: list[Directive]) -> Document | None:
    """Return the bundled document a key names (0, "bundled", its number), if it does."""
    stored = {r.number for r in rows}
    if key.strip().casefold() in BUNDLED_KEYS:
        return next((d for d in library.documents if d.number not in stored), None)
    doc = library.document(key.strip())
    return doc if doc is not None and doc.number not in stored else None


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    """Print one directive's outline and state."""
    library, rows = with_database(settings, lambda db: library_of(db, settings))
    row = with_database(settings, lambda db: _find(db, args.key))
    doc = library.document(row.number) if row is not None else _is_bundled(args.key, library, rows)
    if doc is None:
        raise UsageError(texts.DOC_UNKNOWN.format(key=args.key))
    print("\n".join(preview_lines(describe(Ingested(doc, "", ())))))
    item = document_row(doc, row, library)
    if row is not None:
        at = row.added_at.astimezone(settings.zone).strftime(texts.DATETIME_FORMAT)
        print(
            texts.DOC_STATUS_LINE.format(
                state=_state(item), by=row.added_by, at=at, filename=row.filename
            )
        )
    return EXIT_OK


def run_set_current(args: argparse.Namespace, settings: Settings) -> int:
    """Make a stored directive (or the bundled one) the current directive."""
    library, rows = with_database(settings, lambda db: library_of(db, settings))
    row = with_database(settings, lambda db: _find(db, args.key))
    bundled = None if row is not None else _is_bundled(args.key, library, rows)
    if row is None and bundled is None:
        raise UsageError(texts.DOC_UNKNOWN.format(key=args.key))
    if row is not None and row.status == DirectiveStatus.ARCHIVED.value:
        raise UsageError(texts.DOC_CURRENT_ARCHIVED.format(number=row.number))
    number = row.number if row is not None else bundled.number if bundled else ""
    doc = library.document(number)
    kind = doc.metadata.kind if doc else ""
    if number == library.default.number:
        print(texts.DOC_CURRENT_ALREADY.format(kind=kind, number=number))
        return EXIT_OK

    async def change(db: Database) -> None:
        async with db.sessions() as session:
            await set_current(session, directive_id=row.id if row else None, actor=ACTOR)

    with_database(settings, change)
    print(texts.DOC_CURRENT_SET.format(kind=kind, number=number))
    return EXIT_OK


def run_archive(args: argparse.Namespace, settings: Settings) -> int:
    """Archive a stored directive: out of menus and reminders, history kept."""
    library, rows = with_database(settings, lambda db: library_of(db, settings))
    row = with_database(settings, lambda db: _find(db, args.key))
    if row is None:
        bundled = _is_bundled(args.key, library, rows)
        if bundled is not None:
            raise UsageError(texts.DOC_ARCHIVE_BUNDLED.format(number=bundled.number))
        raise UsageError(texts.DOC_UNKNOWN.format(key=args.key))
    if row.status == DirectiveStatus.ARCHIVED.value:
        print(texts.DOC_ARCHIVE_ALREADY.format(number=row.number))
        return EXIT_OK
    was_current = row.is_current

    async def change(db: Database) -> int:
        async with db.sessions() as session:
            return await archive_directive(session, directive_id=row.id or 0, actor=ACTOR)

    removed = with_database(settings, change)
    print(texts.DOC_ARCHIVED.format(kind=row.kind, number=row.number, deadlines=removed))
    if was_current:
        fresh, _ = with_database(settings, lambda db: library_of(db, settings))
        meta = fresh.default.metadata
        print(texts.DOC_NOW_CURRENT.format(kind=meta.kind, number=fresh.default.number))
    return EXIT_OK
