"""The shipped models' texts in Swedish and English (processes/<folder>/texts/<lang>.json).

Every text a reader of a shipped model reads (task names, lanes, gateways, flows, documentation,
form titles, descriptions and choices) has a Swedish and an English translation; no file keeps a
translation of a text the model no longer has; the files keep their fixed layout so that a
designer's edit shows as a small diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.workflow import model_texts
from engine.workflow.model import COMMON_DIR, ModelSource

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
MODELS = sorted(p.name for p in PROCESSES.iterdir() if p.is_dir() and p.name != COMMON_DIR)
FOLDERS = [*MODELS, COMMON_DIR]
LANGS = model_texts.TRANSLATED


def _source(folder: str) -> ModelSource:
    common = PROCESSES / COMMON_DIR
    return ModelSource.from_directory(PROCESSES / folder, None if folder == COMMON_DIR else common)


def _own_texts(folder: str) -> set[str]:
    """The texts of the folder's own files (not the shared subprocesses')."""
    files = ModelSource.from_directory(PROCESSES / folder).files
    return {s.text for s in model_texts.source_texts(files)}


def test_every_shipped_model_folder_is_checked() -> None:
    assert {"national", "iisalmi", "eksote", "rovaniemi", "kainuu"} <= set(MODELS)


@pytest.mark.parametrize("folder", MODELS)
@pytest.mark.parametrize("lang", LANGS)
def test_every_text_of_a_shipped_model_is_translated(folder: str, lang: str) -> None:
    missing = model_texts.missing(_source(folder).files, lang)
    assert missing == [], f"{folder}: no {lang} translation for {missing[:10]}"


@pytest.mark.parametrize("folder", MODELS)
def test_shipped_texts_files_have_no_problems(folder: str) -> None:
    assert model_texts.check(_source(folder).files) == []


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("lang", LANGS)
def test_texts_file_holds_only_the_folders_own_texts(folder: str, lang: str) -> None:
    path = PROCESSES / folder / "texts" / f"{lang}.json"
    entries = json.loads(path.read_text("utf-8"))
    own = _own_texts(folder)
    stale = sorted(set(entries) - own)
    assert stale == [], f"{path}: translations of texts not in the folder: {stale[:10]}"
    assert sorted(own - set(entries)) == []
    assert all(isinstance(v, str) and v.strip() for v in entries.values())


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("lang", LANGS)
def test_texts_file_layout(folder: str, lang: str) -> None:
    path = PROCESSES / folder / "texts" / f"{lang}.json"
    raw = path.read_text("utf-8")
    entries = json.loads(raw)
    assert raw == json.dumps(entries, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_the_same_finnish_text_has_the_same_translation_everywhere() -> None:
    for lang in LANGS:
        seen: dict[str, tuple[str, str]] = {}
        for folder in FOLDERS:
            path = PROCESSES / folder / "texts" / f"{lang}.json"
            for fi, tr in json.loads(path.read_text("utf-8")).items():
                first = seen.setdefault(fi, (folder, tr))
                assert first[1] == tr, f"{lang} '{fi}': {first} vs ({folder}, {tr!r})"


def test_translations_are_not_left_in_finnish() -> None:
    """A translation equal to its source is allowed only for names and codes (P2, Kela, IPS)."""
    allowed = {
        "P2",
        "P3",
        "P4",
        "Kela",
        "Eksote – Työtä",
        "Iisalmi – IISAKKI",
        "Rovaniemi–Kemijärvi – Työkyky käyttöön",
    }
    for folder in FOLDERS:
        for lang in LANGS:
            path = PROCESSES / folder / "texts" / f"{lang}.json"
            same = [
                fi
                for fi, tr in json.loads(path.read_text("utf-8")).items()
                if fi == tr and fi not in allowed
            ]
            assert same == [], f"{path}: untranslated {same}"


@pytest.mark.parametrize("lang", LANGS)
def test_lanes_use_the_role_catalogue_names(lang: str) -> None:
    roles = json.loads((PROCESSES / "roles.json").read_text("utf-8"))["roles"]
    by_fi = {r["fi"]: r[lang] for r in roles.values()}
    for folder in FOLDERS:
        path = PROCESSES / folder / "texts" / f"{lang}.json"
        for fi, tr in json.loads(path.read_text("utf-8")).items():
            if fi in by_fi:
                assert tr == by_fi[fi], f"{path}: '{fi}' is '{by_fi[fi]}' in roles.json"
