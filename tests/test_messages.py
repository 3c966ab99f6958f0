"""The message catalogs (issue 15.4): every key in every shipped language with the same
fields, the compiled .mo files those of their .po, the .pot and .po files those that
pybabel extract and update make, and every key the code uses in the Chinese catalog.

When one fails, edit the .po files and run `.venv/bin/python scripts/translations`
(docs/translating.md)."""

from __future__ import annotations

import ast
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from catalog.messages import CATALOGS, MESSAGES, SHIPPED_LANGS, SOURCE_LANG, message
from web.i18n import PAGES, UI, translator

REPO = Path(__file__).resolve().parents[1]
DOMAINS = {"messages": REPO / "catalog" / "locale", "pages": REPO / "web" / "locale"}
CODE = ("catalog", "media", "indexer", "web")
KEY = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
# Keys whose fields differ by language on purpose: the caller passes the Chinese label
# and the English one (catalog/org/accounts.py), and a language takes the one it reads.
PER_LANGUAGE_FIELDS = {("messages", "role_node_mismatch"): {"node", "role", "kinds",
                                                            "role_en", "kinds_en"}}


def po(domain: str, lang: str) -> Catalog:
    with (DOMAINS[domain] / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as source:
        return read_po(source)


def texts(catalog: Catalog) -> dict[str, str]:
    """What compiling keeps: translated entries that are not fuzzy."""
    return {m.id: m.string for m in catalog
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
            and not m.fuzzy}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def languages_in_repo(domain: str) -> list[str]:
    return sorted(p.parents[1].name for p in DOMAINS[domain].glob(f"*/LC_MESSAGES/{domain}.po"))


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_key_is_in_every_shipped_language_with_the_same_fields(domain: str) -> None:
    """zh and en are complete; a language added since may be partial (its gaps are said
    in Chinese) but has only keys Chinese has, with their fields."""
    source = texts(po(domain, SOURCE_LANG))
    assert source
    assert set(SHIPPED_LANGS) <= set(languages_in_repo(domain))
    for lang in languages_in_repo(domain):
        catalog = po(domain, lang)
        said = texts(catalog)
        if lang in SHIPPED_LANGS:
            assert sorted(set(source) - set(said)) == [], f"{domain} {lang}: missing or fuzzy"
        assert sorted(set(said) - set(source)) == [], f"{domain} {lang}: not in Chinese"
        assert str(catalog.locale) == lang
        for key, text in said.items():
            try:
                names = fields(text)
            except ValueError as exc:
                pytest.fail(f"{domain} {lang} {key}: not a str.format template: {exc}")
            allowed = PER_LANGUAGE_FIELDS.get((domain, key))
            if allowed is None:
                assert names == fields(source[key]), f"{domain} {lang} {key}: fields differ"
            else:
                assert names <= allowed, f"{domain} {lang} {key}: unknown fields"
            # Each text fills in: no stray brace, no {0}, no {name.attr} surprise.
            text.format(**dict.fromkeys(names, 1))


@pytest.mark.parametrize("domain", DOMAINS)
def test_compiled_catalogs_are_those_of_their_po(domain: str) -> None:
    for lang in languages_in_repo(domain):
        mo = DOMAINS[domain] / lang / "LC_MESSAGES" / f"{domain}.mo"
        assert mo.is_file(), f"{mo} missing: run scripts/translations"
        with mo.open("rb") as compiled:
            assert texts(read_mo(compiled)) == texts(po(domain, lang)), (
                f"{mo} is not its .po compiled: run scripts/translations")


def test_pot_and_po_files_are_what_pybabel_makes_of_them() -> None:
    """pybabel extract (from the Chinese catalog and the templates) and pybabel update
    would change nothing: the .pot carries every key with its texts, each .po every key."""
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "translations"), "--check"],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_catalogs_load_as_the_tables_did() -> None:
    zh, en = MESSAGES["bad_date"]
    assert "2027-03-10" in zh and en.startswith("Date {name}")
    assert message("bad_date", "en", name="x", value="y") == \
        "Date x “y” is invalid; write it as 2027-03-10."
    assert message("bad_date", "fr", name="x", value="y") == message("bad_date", "zh",
                                                                     name="x", value="y")
    assert "plain_error" in UI and "plain_nonsense" not in UI and "" not in UI
    assert set(UI) == PAGES.keys() and len(MESSAGES) == len(CATALOGS.keys())
    assert translator("en")("month_n", n=3) == "Month 3"
    for missing in ("no_such_key", ""):
        with pytest.raises(KeyError):
            message(missing, "en")
        with pytest.raises(KeyError):
            translator("zh")(missing)


# Every key the code names must be in the Chinese catalog.

def _python_files() -> list[Path]:
    return sorted(p for package in CODE for p in (REPO / package).rglob("*.py")
                  if "migrations" not in p.parts)


def _error_classes(trees: list[ast.Module]) -> set[str]:
    """YuanjiaoError and its subclasses, by name: their first argument is the key."""
    bases = {node.name: {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                         for b in node.bases}
             for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    found = {"YuanjiaoError"}
    while grown := {name for name, of in bases.items() if of & found} - found:
        found |= grown
    return found


# Callables that take a message key, and where: besides the error classes, the records
# that carry a key to be said later.
KEY_ARGUMENTS: dict[str, int | str] = {
    "message": 0, "say": 0, "_refuse": 0, "Problem": 1,
    "FoundProblem": 1, "Choice": 3, "Failed": "reason"}


def _keys_in(node: ast.expr) -> list[tuple[str, bool]]:
    """(key, exact) for a literal, a literal in either branch of ``a if c else b``, and the
    fixed start of an f-string (``f"rule_{code}"``: some key must start with it)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(node.value, True)] if KEY.fullmatch(node.value) else []
    if isinstance(node, ast.IfExp):
        return _keys_in(node.body) + _keys_in(node.orelse)
    if isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str) and head.value:
            return [(head.value, False)]
    return []


def _message_keys_in_code() -> list[tuple[str, bool, str]]:
    files = _python_files()
    trees = [ast.parse(p.read_text("utf-8"), str(p)) for p in files]
    takes_key: dict[str, int | str] = dict.fromkeys(_error_classes(trees), 0) | KEY_ARGUMENTS
    found = []
    for path, tree in zip(files, trees, strict=True):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name):
                name = node.func.id
            elif isinstance(node.func, ast.Attribute) and node.func.attr != "message":
                name = node.func.attr  # errors.NotFound(…), not exc.message(lang)
            else:
                continue
            where = takes_key.get(name)
            if isinstance(where, int) and len(node.args) > where:
                argument: ast.expr | None = node.args[where]
            else:
                argument = next((k.value for k in node.keywords if k.arg == where), None)
            for key, exact in _keys_in(argument) if argument is not None else []:
                found.append((key, exact, f"{path.relative_to(REPO)}:{node.lineno}"))
    return found


def _missing(used: list[tuple[str, bool, str]], keys: frozenset[str]) -> list[str]:
    return [f"{where}: {key}{'' if exact else '…'}" for key, exact, where in used
            if (key not in keys if exact else not any(k.startswith(key) for k in keys))]


def test_every_message_key_the_code_raises_or_says_exists() -> None:
    used = _message_keys_in_code()
    assert len({key for key, _, _ in used}) > 100  # the scan sees the code
    assert _missing(used, CATALOGS.keys()) == []


def _page_keys_in_code() -> list[tuple[str, bool, str]]:
    with (DOMAINS["pages"] / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    from_code = [(pattern, method) for pattern, method in method_map
                 if "LC_MESSAGES" not in pattern]  # the source catalog names itself
    used = [(key, True, f"web/{file}:{line}") for file, line, key, _, _ in extract_from_dir(
        str(REPO / "web"), from_code, options_map, keywords={"t": None, "_": None,
                                                             "gettext": None})]
    # Keys built at run time: t('reason_' ~ p.failure), t('action_' + o.action), and
    # translator(lang)("plain_error"), which no keyword names.
    dynamic = re.compile(r"""\bt\(\s*'([a-z0-9_]+)'\s*[~+]""")
    called = re.compile(r"""translator\([^()]*\)\(\s*["']([a-z0-9_]+)["']""")
    for path in sorted((REPO / "web").rglob("*.html")) + sorted((REPO / "web").rglob("*.py")):
        text = path.read_text("utf-8")
        for match in dynamic.finditer(text):
            used.append((match[1], False, str(path.relative_to(REPO))))
        for match in called.finditer(text):
            used.append((match[1], True, str(path.relative_to(REPO))))
    return used


def test_every_page_key_the_templates_and_views_use_exists() -> None:
    used = _page_keys_in_code()
    assert len({key for key, _, _ in used}) > 200
    assert {"reason_", "notice_", "action_", "plain_error"} <= {key for key, _, _ in used}
    assert _missing(used, PAGES.keys()) == []
