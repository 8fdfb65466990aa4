"""A model's texts in the reader's language.

The models are written in Finnish. Beside them, each model folder may hold `texts/sv.json` and
`texts/en.json` (the shared subprocesses' `common/texts/<lang>.json` join every model's files):
a JSON object mapping the exact Finnish source text (a BPMN element's `name` or documentation,
a form's `title`, `description` or an `x-enumNames` entry at any depth, the model's name in
`model.json`) to its translation. The files are part of the model version, so a version's texts
never change. A text with no translation is shown in Finnish.

Codes (property names, enum values, ids) are never translated: only what a reader reads.
"""

from __future__ import annotations

import copy
import json
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.errors import Text
from engine.workflow.model import BPMN_SUFFIX, COMMON_DIR, MODEL_FILE, Problem
from engine.workflow.xml import UnsafeXmlError, parse_bpmn_bytes

SOURCE_LANGUAGE = "fi"
LANGUAGES = ("fi", "sv", "en")
TRANSLATED = ("sv", "en")  # the languages a model's texts are translated into
TEXTS_DIR = "texts"
COMMON_TEXTS_DIR = f"{COMMON_DIR}/{TEXTS_DIR}"
FORM_TEXT_KEYS = ("title", "description")
ENUM_NAMES = "x-enumNames"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# named BPMN definitions whose names are codes the engine matches, not texts a reader reads
_CODE_NAMED = {"message", "signal", "error", "escalation"}

FileMap = Mapping[str, str] | Mapping[str, bytes]


def texts_file(lang: str, common: bool = False) -> str:
    """The path of a language's texts file in a version's files."""
    return f"{COMMON_TEXTS_DIR if common else TEXTS_DIR}/{lang}.json"


def is_texts_file(name: str) -> bool:
    folder = posixpath.dirname(name)
    return folder in (TEXTS_DIR, COMMON_TEXTS_DIR) and name.endswith(".json")


def _text(content: str | bytes) -> str:
    return content.decode("utf-8") if isinstance(content, bytes) else content


def _bytes(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


# ---------------------------------------------------------------- reading the texts


def _read_catalogue(content: str | bytes) -> dict[str, str]:
    """A texts file's mapping; raise ValueError naming what is wrong."""
    try:
        data = json.loads(_text(content))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(
            Text("texts_not_json", "not valid JSON: {detail}", detail=str(exc))
        ) from None
    if not isinstance(data, dict):
        raise ValueError(
            Text(
                "texts_not_object",
                "the file must be a JSON object mapping Finnish texts to translations",
            )
        )
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise ValueError(
            Text(
                "texts_not_string",
                "the translation of '{text}' is not a string",
                text=bad[0][:80],
            )
        )
    return {k: v for k, v in data.items() if v.strip()}


def catalogue(files: FileMap, lang: str) -> dict[str, str]:
    """Finnish text -> translation for one language: the shared texts, then the model's own
    (which win). Unreadable files give nothing (the validator reports them)."""
    merged: dict[str, str] = {}
    for name in (texts_file(lang, common=True), texts_file(lang)):
        content = files.get(name)
        if content is None:
            continue
        try:
            merged.update(_read_catalogue(content))
        except ValueError:
            continue
    return merged


@dataclass
class ModelTexts:
    """One version's translations, by language."""

    catalogues: dict[str, dict[str, str]] = field(default_factory=dict)
    # BPMN element id -> its documentation (Finnish), for the task page
    documentation: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_files(cls, files: FileMap) -> ModelTexts:
        return cls(
            {lang: catalogue(files, lang) for lang in TRANSLATED},
            documentation=element_documentation(files),
        )

    def documentation_of(self, bpmn_id: str, lang: str) -> str | None:
        """An element's documentation in the language (Finnish when untranslated)."""
        text = self.documentation.get(bpmn_id)
        return self.text(text, lang) if text else None

    @classmethod
    def merged(cls, many: list[ModelTexts]) -> ModelTexts:
        """Several models' translations in one (the first one's win)."""
        result: dict[str, dict[str, str]] = {lang: {} for lang in TRANSLATED}
        for texts in reversed(many):
            for lang, entries in texts.catalogues.items():
                result.setdefault(lang, {}).update(entries)
        return cls(result)

    def text(self, text: str, lang: str) -> str:
        """The text in the language; the Finnish text when it has no translation."""
        if lang == SOURCE_LANGUAGE or not text:
            return text
        entries = self.catalogues.get(lang, {})
        return entries.get(text) or entries.get(text.strip()) or text

    def has(self, text: str, lang: str) -> bool:
        return text in self.catalogues.get(lang, {})

    def form(self, schema: dict[str, Any], lang: str) -> dict[str, Any]:
        """A copy of a form schema with its titles, descriptions and choice names translated."""
        if lang == SOURCE_LANGUAGE or not self.catalogues.get(lang):
            return schema
        return translate_schema(schema, self.catalogues[lang])


def translate_schema(schema: dict[str, Any], translations: Mapping[str, str]) -> dict[str, Any]:
    """A deep copy of a JSON Schema with `title`, `description` and `x-enumNames` entries at any
    depth translated; property names, enum values and everything else stay."""
    result = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in FORM_TEXT_KEYS:
                value = node.get(key)
                if isinstance(value, str):
                    node[key] = translations.get(value, value)
            names = node.get(ENUM_NAMES)
            if isinstance(names, list):
                node[ENUM_NAMES] = [
                    translations.get(n, n) if isinstance(n, str) else n for n in names
                ]
            for key, value in node.items():
                if key in ("enum", "const", "default", "examples", ENUM_NAMES):
                    continue
                if key == "properties" and isinstance(value, dict):
                    for prop in value.values():  # a property's name is a code, not a text
                        walk(prop)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(result)
    return result


# ---------------------------------------------------------------- the source texts


@dataclass(frozen=True)
class Occurrence:
    """Where a source text is: the file, the element (BPMN id, or the form field's path) and
    what it is (name, documentation, title, description, choice)."""

    file: str
    element: str | None
    kind: str


@dataclass
class SourceText:
    text: str
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def group(self) -> str:
        """The file and element it first appears in (the designer's page groups by this)."""
        first = self.occurrences[0]
        return first.file + (f" [{first.element}]" if first.element else "")


def source_texts(files: FileMap) -> list[SourceText]:
    """Every text of a model version a reader may read, in the order of the files, each with
    where it occurs. Files that do not parse give nothing here (the loader reports them)."""
    found: dict[str, SourceText] = {}

    def add(text: str, file: str, element: str | None, kind: str) -> None:
        text = text.strip()
        if not text:
            return
        entry = found.setdefault(text, SourceText(text))
        entry.occurrences.append(Occurrence(file, element, kind))

    metadata = files.get(MODEL_FILE)
    if metadata is not None:
        try:
            name = json.loads(_text(metadata)).get("name")
        except (ValueError, AttributeError):
            name = None
        if isinstance(name, str):
            add(name, MODEL_FILE, None, "name")
    for file in sorted(files, key=_file_order):
        if file.endswith(BPMN_SUFFIX):
            for element, kind, text in _bpmn_texts(files[file], file):
                add(text, file, element, kind)
        elif file.endswith(".json") and file != MODEL_FILE and not is_texts_file(file):
            if file.endswith(f"/{MODEL_FILE}"):
                continue
            try:
                form = json.loads(_text(files[file]))
            except (ValueError, UnicodeDecodeError):
                continue
            for element, kind, text in _form_texts(form, ""):
                add(text, file, element or None, kind)
    return list(found.values())


def element_documentation(files: FileMap) -> dict[str, str]:
    """Each BPMN element's documentation by its id (the model's own files before the shared)."""
    found: dict[str, str] = {}
    for file in sorted((n for n in files if n.endswith(BPMN_SUFFIX)), key=_file_order):
        for element, kind, text in _bpmn_texts(files[file], file):
            if kind == "documentation" and element:
                found.setdefault(element, text.strip())
    return found


def _bpmn_texts(content: str | bytes, file: str) -> Iterator[tuple[str | None, str, str]]:
    try:
        tree = parse_bpmn_bytes(_bytes(content), file)
    except (UnsafeXmlError, etree.XMLSyntaxError):
        return
    for node in tree.getroot().iter():
        if not isinstance(node.tag, str):
            continue
        qname = etree.QName(node)
        if qname.namespace != BPMN_NS:
            continue
        if qname.localname == "documentation":
            parent = node.getparent()
            owner = parent.get("id") if parent is not None else None
            if node.text and node.text.strip():
                yield owner, "documentation", node.text
        elif qname.localname not in _CODE_NAMED:
            name = node.get("name")
            if name:
                yield node.get("id"), "name", name


def _form_texts(node: Any, path: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(node, dict):
        for key in FORM_TEXT_KEYS:
            value = node.get(key)
            if isinstance(value, str):
                yield path, key, value
        names = node.get(ENUM_NAMES)
        if isinstance(names, list):
            for name in names:
                if isinstance(name, str):
                    yield path, "choice", name
        for key, value in node.items():
            if key in ("enum", "const", "default", "examples", ENUM_NAMES):
                continue
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    yield from _form_texts(sub, f"{path}.{prop}" if path else prop)
            elif isinstance(value, dict | list):
                yield from _form_texts(value, path)
    elif isinstance(node, list):
        for item in node:
            yield from _form_texts(item, path)


def missing(files: FileMap, lang: str) -> list[str]:
    """The source texts with no translation in the language."""
    known = catalogue(files, lang)
    return [s.text for s in source_texts(files) if s.text not in known]


# ---------------------------------------------------------------- the validator's checks


def check(files: FileMap) -> list[Problem]:
    """The texts files' problems: a file that is not a JSON object of strings or names no known
    language is an error; a key that matches no source text is a warning (a text changed in the
    model and its translation was left behind). Missing translations are no problem here."""
    problems: list[Problem] = []
    texts = [n for n in sorted(files) if is_texts_file(n)]
    if not texts:
        return problems
    known = {s.text for s in source_texts(files)}
    for name in texts:
        lang = posixpath.basename(name).removesuffix(".json")
        if lang not in LANGUAGES:
            problems.append(
                Problem(
                    name,
                    None,
                    Text(
                        "texts_language_unknown",
                        "'{lang}' is not a language of Polku: use sv.json or en.json",
                        lang=lang,
                    ),
                )
            )
            continue
        try:
            entries = _read_catalogue(files[name])
        except ValueError as exc:
            message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            problems.append(Problem(name, None, message))
            continue
        if lang == SOURCE_LANGUAGE:
            unused = Text(
                "texts_fi_unused", "the models are written in Finnish: fi.json is not used"
            )
            problems.append(Problem(name, None, unused, "warning"))
            continue
        if name.startswith(COMMON_DIR + "/"):
            continue  # the shared texts serve every model: not all of them appear in each
        for key in entries:
            if key.strip() not in known:
                stale = Text(
                    "texts_key_unknown",
                    "'{text}' is no text of the model: was it changed?",
                    text=key[:80],
                )
                problems.append(Problem(name, None, stale, "warning"))
    return problems


def _file_order(name: str) -> tuple[bool, bool, str]:
    """The model's own files before the shared ones, the diagrams before the forms."""
    return name.startswith(COMMON_DIR + "/"), not name.endswith(BPMN_SUFFIX), name
