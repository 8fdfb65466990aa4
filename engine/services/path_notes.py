"""Notes on a path between the team: a colleague writes what the others should know ("the
client asked to be called in the afternoon"), with a visibility class.

A note's class is one of the field classes (`shared`, `health`, `social`, `employment`,
`benefits`) that its author may see on the path (`field_visibility.reader_classes`, which
asks the access policy); a reader sees the notes whose class they may see on that path, and
their own. Whoever may read a running path (`access.read_basis`) may write on it. Writing is
one transaction: the note, the history event `note_added` (the note's id and class, never its
text: the history is read for figures and exports) and the access-log row. Each read of the
notes is logged per path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, Text
from engine.persistence.daily_work import PathNote
from engine.persistence.tables import ProcessInstance, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, field_visibility
from engine.services.path_lookup import readable_path
from engine.services.progress import record
from engine.workflow.forms import VISIBILITY_CLASSES

MAX_TEXT = 4000
DEFAULT_VISIBILITY = "shared"


@dataclass(frozen=True)
class NoteView:
    id: int
    instance_id: int
    author: str  # username
    author_name: str
    created_at: datetime
    visibility: str
    text: str


def _check(text: str, visibility: str) -> tuple[str, str]:
    text = (text or "").strip()
    visibility = (visibility or DEFAULT_VISIBILITY).strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [Text("field_required", "This field is required.")]
    elif len(text) > MAX_TEXT:
        errors["text"] = [Text("text_too_long", "The text is too long.")]
    if visibility not in VISIBILITY_CLASSES:
        errors["visibility"] = [Text("value_not_allowed", "Choose one of the allowed values.")]
    if errors:
        raise InvalidInput("the note has errors", errors, code="note_invalid")
    return text, visibility


def add_note(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    instance_id: int,
    text: str,
    visibility: str = DEFAULT_VISIBILITY,
) -> int:
    """Write a note on a running path; returns its id."""
    text, visibility = _check(text, visibility)
    now = clock()
    with uow:
        instance, basis = readable_path(uow, actor, instance_id, now, "path_note", "create")
        if instance.status != "running":
            raise Conflict(
                f"the path is {instance.status}",
                code="path_not_running",
                params={"status": instance.status},
            )
        if visibility not in field_visibility.reader_classes(actor, instance):
            raise InvalidInput(
                "the note's class is not the author's",
                {
                    "visibility": [
                        Text("note_class_not_yours", "Your work does not see this class.")
                    ]
                },
                code="note_invalid",
            )
        note = PathNote(
            instance_id=instance.id,
            author_id=actor.user_id,
            created_at=now,
            visibility=visibility,
            text=text,
        )
        uow.session.add(note)
        uow.session.flush()
        record(
            uow, instance, now, "note_added", actor=actor.username,
            data={"note_id": note.id, "visibility": visibility},
        )  # fmt: skip
        access.log(
            uow, now, actor, "create", "path_note", client_id=instance.client_id,
            instance_id=instance.id, basis=basis,
            detail=f"note {note.id} ({visibility}) on path {instance.id}",
        )  # fmt: skip
        uow.commit()
        return note.id


def list_notes(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, instance_id: int
) -> list[NoteView]:
    """The notes of a path the reader may see, oldest first (logged)."""
    now = clock()
    with uow:
        instance, basis = readable_path(uow, actor, instance_id, now, "path_note")
        found = notes_in(uow, actor, [(instance, basis)], now, log_empty=True)
        uow.commit()
        return found.get(instance.id, [])


def notes_in(
    uow: UnitOfWork,
    actor: access.Actor,
    paths: Sequence[tuple[ProcessInstance, str]],
    now: datetime,
    *,
    log_empty: bool = False,
) -> dict[int, list[NoteView]]:
    """Inside the caller's unit of work: the notes the reader may see on these paths (each
    with the basis the policy gave to read it), by path, oldest first, in one statement; one
    access-log row for each path that has notes to show (`log_empty`: for every path)."""
    if not paths:
        return {}
    classes = {i.id: field_visibility.reader_classes(actor, i) for i, _basis in paths}
    rows = uow.session.execute(
        select(PathNote, User.username, User.display_name)
        .join(User, User.id == PathNote.author_id)
        .where(PathNote.instance_id.in_(sorted(classes)))
        .order_by(PathNote.created_at, PathNote.id)
    ).all()
    found: dict[int, list[NoteView]] = {}
    for note, username, display_name in rows:
        if note.visibility in classes[note.instance_id] or note.author_id == actor.user_id:
            found.setdefault(note.instance_id, []).append(
                NoteView(
                    note.id,
                    note.instance_id,
                    username,
                    display_name,
                    note.created_at,
                    note.visibility,
                    note.text,
                )  # fmt: skip
            )
    for instance, basis in paths:
        shown = found.get(instance.id, [])
        if shown or log_empty:
            access.log(
                uow, now, actor, "read", "path_note", client_id=instance.client_id,
                instance_id=instance.id, basis=basis,
                detail=f"{len(shown)} note(s) on path {instance.id}",
            )  # fmt: skip
    return found
