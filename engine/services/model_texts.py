"""Model texts in the reader's language: each version's translations, read once per process
(a version's files never change), and the designer's edits saved as a new version.

`Translator(uow).text(version_id, text, lang)` is what every page (web/ui/model_texts.py) and
the e-mail digest use to show a step's name, a form's labels or a model's name in the reader's
language; the Finnish source text is stored everywhere and translated only when shown.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import InvalidInput, ModelRejected, NotFound, Text
from engine.persistence.tables import ProcessModelVersion
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.deployment import DeployResult, latest_version, store_version
from engine.services.designer import _refuse, require_designer
from engine.workflow import model_texts
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource
from engine.workflow.model_texts import TRANSLATED, ModelTexts, SourceText

TEXTS_SOURCE = "texts"  # process_model_version.source of a version saved from the texts page
MAX_TEXT_CHARS = 5000

# (database, version id) -> its texts; a process normally serves one database, tests many.
# A version's texts never change (a saved text makes a new version); the caches are bounded,
# oldest out first, so a long-running process holds at most this many.
CACHE_SIZE = 256
_cache: OrderedDict[tuple[str, int], ModelTexts] = OrderedDict()
_merged: OrderedDict[tuple[str, tuple[int, ...]], ModelTexts] = OrderedDict()
_lock = threading.Lock()


def _remember(cache: OrderedDict[Any, ModelTexts], key: Any, texts: ModelTexts) -> None:
    with _lock:
        cache[key] = texts
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)


@contextmanager
def _reading(uow: UnitOfWork) -> Iterator[Session]:
    """The unit of work's session: its own short read, or the command's when one is open (a
    digest or notification job asks inside its unit of work)."""
    if uow.is_open:
        yield uow.session
        return
    with uow:
        yield uow.session


def version_texts(uow: UnitOfWork, version_id: int) -> ModelTexts:
    """The translations of one model version (read from the database once per process)."""
    key = (uow.database_key, version_id)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    with _reading(uow) as session:
        files = session.scalar(
            select(ProcessModelVersion.files).where(ProcessModelVersion.id == version_id)
        )
    texts = ModelTexts.from_files(files or {})
    _remember(_cache, key, texts)
    return texts


def latest_version_ids(uow: UnitOfWork) -> tuple[int, ...]:
    """The id of each model's newest version."""
    with _reading(uow) as session:
        rows = session.scalars(
            select(func.max(ProcessModelVersion.id)).group_by(ProcessModelVersion.model_id)
        )
        return tuple(sorted(rows))


def merged_texts(uow: UnitOfWork, version_ids: tuple[int, ...]) -> ModelTexts:
    """Several versions' translations in one: for a text shown without its version (a step
    name in a figure over every model)."""
    key = (uow.database_key, version_ids)
    with _lock:
        cached = _merged.get(key)
    if cached is not None:
        return cached
    texts = ModelTexts.merged([version_texts(uow, v) for v in version_ids])
    _remember(_merged, key, texts)
    return texts


class Translator:
    """Model texts in a language, for one page, e-mail or job: a text is looked up in its
    own version's translations, then in every model's newest (read once, when first needed).
    `uow` may be open (inside a command) or not (then each read is its own short one)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._fallback: ModelTexts | None = None

    def fallback(self) -> ModelTexts:
        if self._fallback is None:
            self._fallback = merged_texts(self._uow, latest_version_ids(self._uow))
        return self._fallback

    def version(self, version_id: int) -> ModelTexts:
        return version_texts(self._uow, version_id)

    def text(self, version_id: int | None, source: str | None, lang: str) -> str:
        """The text in the language; the Finnish source when it has no translation."""
        if not source:
            return source or ""
        if lang not in TRANSLATED:
            return source
        if version_id is not None:
            translated = self.version(version_id).text(source, lang)
            if translated != source:
                return translated
        return self.fallback().text(source, lang)


# ---------------------------------------------------------------- the designer's texts page


@dataclass
class TextRow:
    """One source text of a model, where it occurs, and its translations (None: missing)."""

    source: SourceText
    translations: dict[str, str | None] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [lang for lang, value in self.translations.items() if not value]


@dataclass
class ModelTextsView:
    key: str
    version: int
    rows: list[TextRow]

    def missing_count(self, lang: str) -> int:
        return sum(1 for r in self.rows if not r.translations.get(lang))


def model_texts_view(uow: UnitOfWork, actor: access.Actor, key: str) -> ModelTextsView:
    """Every source text of the model's latest version with its Swedish and English."""
    require_designer(actor)
    with uow:
        version = latest_version(uow, key)
        if version is None:
            raise NotFound(
                f"process model '{key}' does not exist", code="model_not_found", params={"key": key}
            )
        files = dict(version.files)
        number = version.number
    catalogues = {lang: model_texts.catalogue(files, lang) for lang in TRANSLATED}
    rows = [
        TextRow(s, {lang: catalogues[lang].get(s.text) for lang in TRANSLATED})
        for s in model_texts.source_texts(files)
    ]
    return ModelTextsView(key, number, rows)


def save_texts(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    key: str,
    changes: dict[str, dict[str, str]],
) -> DeployResult:
    """Change translations (language -> Finnish text -> translation; an empty one removes it)
    and store the model's next version, validated as every version is. The model's own
    `texts/<lang>.json` holds the result; the shared texts stay as they are."""
    require_designer(actor)
    _check_changes(changes)
    now = clock()
    with uow:
        latest = latest_version(uow, key)
        if latest is None:
            raise NotFound(
                f"process model '{key}' does not exist", code="model_not_found", params={"key": key}
            )
        files = {k: v.encode("utf-8") for k, v in latest.files.items()}
        known = {s.text for s in model_texts.source_texts(files)}
        unknown = [t for entries in changes.values() for t in entries if t not in known]
        if unknown:
            raise InvalidInput(
                Text(
                    "texts_source_unknown",
                    "'{text}' is no text of the model '{key}'",
                    text=unknown[0][:80],
                    key=key,
                ),
                {
                    "texts": [
                        Text(
                            "texts_source_unknown_field", "A text to translate is not in the model."
                        )
                    ]
                },
            )
        candidate = ModelSource(key, files)
        for lang, entries in changes.items():
            name = model_texts.texts_file(lang)
            own = _own_entries(files.get(name))
            shared = model_texts.catalogue(
                {n: c for n, c in files.items() if n != name}, lang
            )  # the shared texts alone
            for source, translation in entries.items():
                value = translation.strip()
                if not value or value == shared.get(source):
                    own.pop(source, None)
                else:
                    own[source] = value
            order = {s: i for i, s in enumerate(t.text for t in model_texts.source_texts(files))}
            ordered = dict(sorted(own.items(), key=lambda kv: order.get(kv[0], len(order))))
            content = (json.dumps(ordered, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
            candidate = candidate.replace(name, content)
        parsed, problems = load_model(candidate, engine.roles)
        file_name = model_texts.texts_file(next(iter(changes), "sv"))
        if parsed is None:
            _refuse(uow, key, now, actor, TEXTS_SOURCE, file_name, b"", problems)
            raise ModelRejected(
                f"the model '{key}' has errors: nothing was saved",
                problems,
                code="model_rejected",
                params={"key": key},
            )
        if latest.content_hash == candidate.content_hash:
            return DeployResult(key, latest.number, created=False)
        number = store_version(
            uow, candidate, parsed, problems, now, actor.username, TEXTS_SOURCE, file_name
        )
        uow.commit()
        return DeployResult(key, number, created=True)


def _own_entries(content: bytes | None) -> dict[str, str]:
    if content is None:
        return {}
    try:
        data = json.loads(content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _check_changes(changes: object) -> None:
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput(
            Text(
                "texts_none_sent",
                'send the translations as {"sv": {"Finnish text": "translation"}, "en": …}',
            ),
            {"texts": [Text("texts_none_sent_field", "No translations were sent.")]},
        )
    for lang, entries in changes.items():
        if lang not in TRANSLATED:
            raise InvalidInput(
                Text(
                    "texts_language_refused",
                    "'{lang}' is not a language to translate into: use sv or en",
                    lang=str(lang)[:20],
                ),
                {"texts": [Text("texts_language_refused_field", "Use the languages sv and en.")]},
            )
        if not isinstance(entries, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in entries.items()
        ):
            raise InvalidInput(
                Text(
                    "texts_not_strings",
                    "the '{lang}' translations must map Finnish texts to strings",
                    lang=lang,
                ),
                {"texts": [Text("texts_not_strings_field", "A translation is not text.")]},
            )
        long = [k for k, v in entries.items() if len(v) > MAX_TEXT_CHARS]
        if long:
            raise InvalidInput(
                Text(
                    "texts_too_long",
                    "the translation of '{text}' is longer than {limit} characters",
                    text=long[0][:80],
                    limit=MAX_TEXT_CHARS,
                ),
                {"texts": [Text("texts_too_long_field", "A translation is too long.")]},
            )
