"""No English-only text on a page: every visible string a Streamlit call shows comes from the
catalogue (``t()``), and the Import and About pages read in Ukrainian when the link asks.

The AST walk looks at the text a reader sees — the label/body argument of ``st.title``,
``st.button``, ``col.metric``… and the ``help=``/``placeholder=``/``text=`` keywords — in
``app.py``, ``pages/`` and ``ui/``. A literal with letters there is English nobody can
translate. One level of indirection is followed too: a local function that hands its
parameter to such a call (``_stop(title, message)`` → ``st.title(title)``) must not be called
with a literal either.
"""

from __future__ import annotations

import ast
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from geo.curation import ACTIONS, STATUSES
from geo.filters import Note, note_text, parse_query
from geo.i18n import messages, translate
from geo.importers import FORMATS
from geo.importers.generic import FIELDS
from geo.schema import TIME_PRECISIONS, VERIFICATIONS
from geo.sources import SOURCES
from tests.test_access_pages import LOGGED_OUT, user
from tests.test_access_pages import run as access_run
from tests.test_access_pages import team as team  # noqa: F401  (the fixture)
from tests.test_pages import run
from tests.test_pages import store_url as store_url  # noqa: F401  (the fixture)

ROOT = Path(__file__).resolve().parents[1]
UI_SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
              *sorted((ROOT / "ui").glob("*.py"))]

# Streamlit calls whose first positional argument is text a reader sees.
TEXT_FIRST = {
    "title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
    "success", "toast", "button", "form_submit_button", "expander", "selectbox", "radio",
    "checkbox", "toggle", "file_uploader", "download_button", "text_input", "text_area",
    "number_input", "date_input", "multiselect", "slider", "select_slider", "metric",
    "tabs", "write", "text", "html", "popover", "status", "link_button",
    "segmented_control", "pills", "progress", "spinner", "chat_input",
}
# Keywords that are visible text whatever the call.
TEXT_KEYWORDS = {"label", "help", "placeholder", "text", "page_title", "caption"}
# Calls named like a Streamlit element that are not one (Python's own, the logging module).
NOT_STREAMLIT_RECEIVERS = {"logging", "log", "_LOG", "logger", "LOG", "warnings", "os", "re",
                           "json", "path", "Path"}
# Names that are the same in every language (the product's name, units of measure).
ALLOWED_WORDS = {"Salvo"}
_TAGS = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    call: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.call}(…{self.text!r}…)"


def visible_words(node: ast.AST) -> str:
    """The literal words in ``node`` a reader would see ('' when there are none): string
    constants and the constant parts of f-strings, HTML tags removed, markup ignored."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values
                 if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    elif isinstance(node, (ast.List, ast.Tuple)):
        return " ".join(w for w in (visible_words(e) for e in node.elts) if w)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return " ".join(w for w in (visible_words(node.left), visible_words(node.right)) if w)
    elif isinstance(node, ast.IfExp):
        return " ".join(w for w in (visible_words(node.body), visible_words(node.orelse)) if w)
    else:
        return ""
    text = _TAGS.sub(" ", "".join(parts))
    words = [w for w in _WORD.findall(text) if w not in ALLOWED_WORDS]
    return " ".join(words)


def _receiver(func: ast.Attribute) -> str:
    base = func.value
    while isinstance(base, ast.Attribute):
        base = base.value
    return base.id if isinstance(base, ast.Name) else ""


def _call_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return node.func.id if isinstance(node.func, ast.Name) else ""


def _is_element(node: ast.Call, loggers: set[str]) -> bool:
    """``st.x(…)``, ``st.sidebar.x(…)``, ``col.x(…)``: an attribute call named like an
    element, on anything but a logger or a standard module."""
    return (isinstance(node.func, ast.Attribute) and node.func.attr in TEXT_FIRST
            and _receiver(node.func) not in NOT_STREAMLIT_RECEIVERS | loggers)


def _loggers(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                _call_name(node.value) == "getLogger":
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _text_args(node: ast.Call, element: bool) -> list[ast.AST]:
    args = [node.args[0]] if element and node.args else []
    return args + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]


def _relays(trees: dict[str, ast.AST]) -> dict[str, set[int | str]]:
    """Functions that pass one of their parameters on as visible text: name → the
    positions and names of those parameters."""
    relays: dict[str, set[int | str]] = {}
    for tree in trees.values():
        loggers = _loggers(tree)
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = [a.arg for a in fn.args.args]
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call):
                    continue
                for arg in _text_args(node, _is_element(node, loggers)):
                    if isinstance(arg, ast.Name) and arg.id in params:
                        relays.setdefault(fn.name, set()).update(
                            {params.index(arg.id), arg.id})
    return relays


def english_literals(paths: list[Path]) -> list[Finding]:
    """Every literal with words shown by a Streamlit call (directly or through a relay)."""
    trees = {str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p.name):
             ast.parse(p.read_text(encoding="utf-8")) for p in paths}
    relays = _relays(trees)
    found = []
    for rel, tree in trees.items():
        loggers = _loggers(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            shown = _text_args(node, _is_element(node, loggers))
            if name in relays:
                shown += [a for i, a in enumerate(node.args) if i in relays[name]]
                shown += [k.value for k in node.keywords if k.arg in relays[name]]
            for arg in shown:
                words = visible_words(arg)
                if words:
                    found.append(Finding(rel, node.lineno, name, words[:60]))
    return found


def test_no_english_literal_reaches_a_page():
    found = english_literals(UI_SOURCES)
    assert not found, "English text without a message id:\n" + "\n".join(map(str, found))


def _found_in(source: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    return [f.text for f in english_literals([path])]


def test_the_check_sees_english_in_every_shape(tmp_path):
    source = '''
import logging
import streamlit as st
log = logging.getLogger("x")
def _stop(title, message):
    st.title(title)
    st.error(message)
st.subheader("Public sources")
st.sidebar.caption(f"Signed in as {name}")
col.metric("Rows read", 3)
st.button(t("import.add", n=3), help="Adds the rows")
st.tabs(["Map", t("page.timeline")])
st.progress(0.0, text="Reading…")
_stop("Not available to you", t("access.role"))
log.warning("a log line is not a page")
st.markdown(f"**{t('detail.sources')}** · {links}")
st.html(f'<div style="font-size:0.85rem">{label}</div>')
st.markdown("### Salvo")
'''
    assert _found_in(source, tmp_path) == [
        "Public sources", "Signed in as", "Rows read", "Adds the rows", "Map", "Reading",
        "Not available to you"]


IMPORT_UK = ("Імпорт подій", "Відкриті джерела")
IMPORT_EN = ("Public sources", "Sync history", "Format", "Column mapping")
ABOUT_UK = ("Точність розташування", "Каталог озброєнь", "Джерела даних і ліцензії",
            "Відкриті джерела", "Налаштування")
ABOUT_EN = ("Location precision", "Weapon catalogue", "Data sources and licences",
            "Public sources", "Configuration")


def _texts(at) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info")
             for e in getattr(at, kind)]
    parts += [w.label for kind in ("selectbox", "button") for w in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_import_page_in_ukrainian(store_url):  # noqa: F811
    at = run("pages/4_Import.py", {"lang": "uk"})
    assert not at.exception, at.exception
    text = _texts(at)
    for heading in IMPORT_UK:
        assert heading in text, heading
    assert at.selectbox(key="imp_format").label == "Формат"
    assert at.selectbox(key="sync_source").label == "Джерело"
    assert at.button(key="sync_go").label == "Синхронізувати"
    for english in IMPORT_EN:
        assert english not in [s.value for s in at.subheader] + [w.label for w in at.selectbox]


def test_import_report_and_store_in_ukrainian(store_url):  # noqa: F811
    from geo.schema import COLUMNS

    header = ",".join(COLUMNS)
    good = "up-1,2024-05-01,,,day,impact,UKR,UA-63,Kharkiv,49.99,36.23,settlement," \
           "KN-23,ballistic missile,PRK,reported,,,,,,Russia,test row,https://example.org/x," \
           "test,1,reported"
    bad = "up-2,2024-13-01" + "," * (len(COLUMNS) - 2)
    at = run("pages/4_Import.py", {"lang": "uk"})
    at.file_uploader(key="imp_file").upload("mine.csv", f"{header}\n{good}\n{bad}\n".encode(),
                                            "text/csv").run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Прочитано рядків"] == "2" and values["Прийнято"] == "1"
    assert values["Відхилено"] == "1"
    text = _texts(at)
    assert "Відхилені рядки за причинами" in text and "Rejected rows by reason" not in text
    assert "Відхилено рядків" in at.warning[0].value
    assert "rows were rejected" not in at.warning[0].value
    next(b for b in at.button if b.label.startswith("Додати ")).click().run()
    assert "нових: 1" in at.success[0].value and "new" not in at.success[0].value


def test_about_page_in_ukrainian(store_url):  # noqa: F811
    at = run("pages/5_About.py", {"lang": "uk"})
    assert not at.exception, at.exception
    headings = [s.value for s in at.subheader]
    for heading in ABOUT_UK:
        assert any(h.startswith(heading) for h in headings), (heading, headings)
    for english in ABOUT_EN:
        assert not any(h.startswith(english) for h in headings), (english, headings)
    text = _texts(at)
    assert "**країною розробки зброї**" in text and "weapon origin" not in text.lower()
    # Column headers of the tables are ours to translate (the values are codes and data).
    columns = [list(df.value.columns) for df in at.dataframe]
    assert ["код", "значення"] in columns, columns


@pytest.mark.parametrize("page", ["pages/4_Import.py", "pages/5_About.py"])
def test_english_pages_stay_english(store_url, page):  # noqa: F811
    at = run(page, {"lang": "en"})
    assert not at.exception, at.exception
    headings = [s.value for s in at.subheader]
    assert "Public sources" in headings
    assert not any(re.search(r"[А-Яа-яІіЇїЄєҐґ]", h) for h in headings), headings


def test_every_code_our_pages_name_has_a_message():
    """The f-string message ids of the Import, sources, curation and detail views cover
    every value they are built from."""
    from ui.importview import DATE_ORDERS

    catalogue = messages()
    keys = [*[f"import.format.{f.name}" for f in FORMATS], *[f"import.field.{f}" for f in FIELDS],
            *[f"import.order.{o}" for o in DATE_ORDERS],
            *[f"sync.{kind}.{s.name}" for s in SOURCES for kind in ("provides", "licence")],
            *[f"sync.manual.{s.name}" for s in SOURCES if s.manual],
            *[f"curate.saved.{a}" for a in ACTIONS], *[f"detail.status.{s}" for s in STATUSES],
            *[f"detail.time.{p}" for p in TIME_PRECISIONS],
            *[f"detail.verified.{v}" for v in VERIFICATIONS]]
    missing = [key for key in keys if key not in catalogue]
    assert not missing, missing


def test_english_messages_say_what_the_modules_say():
    """Where a module keeps the English wording (the CLI prints it), the English message is
    the same words: one wording, not two drifting apart."""
    for f in FORMATS:
        assert translate(f"import.format.{f.name}") == f.description, f.name
    for field, label in FIELDS.items():
        assert translate(f"import.field.{field}") == label, field
    for source in SOURCES:
        assert translate(f"sync.provides.{source.name}") == source.provides, source.name
        assert translate(f"sync.licence.{source.name}") == source.licence, source.name
        if source.manual:
            assert translate(f"sync.manual.{source.name}") == source.manual, source.name


def _note_keys() -> set[str]:
    path = ROOT / "geo" / "filters.py"
    return {node.args[0].value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Note"
            and node.args and isinstance(node.args[0], ast.Constant)}


def test_every_link_note_has_a_message():
    keys = _note_keys()
    assert "note.not_date" in keys and len(keys) >= 10
    assert not keys - set(messages()), keys - set(messages())


def test_link_notes_are_english_text_and_ukrainian_on_request():
    parsed = parse_query({"from": "abc", "origin": "XX1", "zoom": "99", "certainty": "sure"})
    assert [str(n) for n in parsed.notes] == [
        "Ignored from='abc': not a date (use YYYY-MM-DD).",
        "Ignored origin='XX1': not a valid value.",
        "Ignored certainty='sure': use stated, likely, possible.",
        "Ignored zoom='99': out of range or not a number."]
    uk = [note_text(n, "uk") for n in parsed.notes]
    assert uk[0] == "Пропущено from='abc': це не дата (формат РРРР-ММ-ДД)."
    assert all(line.startswith("Пропущено") for line in uk), uk
    assert note_text("plain text", "uk") == "plain text"


def test_a_long_link_note_translates_its_parts():
    parsed = parse_query({f"k{i}": "x" * 3000 for i in range(7)})
    note = parsed.notes[0]
    assert str(note).startswith("The link was too long: shortened k0, k1, k2, k3, k4 and 2 more")
    assert note_text(note, "uk").startswith("Посилання задовге: k0, k1, k2, k3, k4 і ще 2 "
                                            "скорочено до")


def test_a_note_survives_session_state_pickling():
    note = Note("note.invalid", name="type", value="boom")
    again = pickle.loads(pickle.dumps(note))
    assert again == note and again.text("uk") == "Пропущено type='boom': недопустиме значення."


def test_bad_link_note_in_ukrainian_on_the_map_page(store_url):  # noqa: F811
    at = run("pages/1_Map.py", {"lang": "uk", "from": "abc"})
    assert not at.exception, at.exception
    notes = [w.value for w in at.warning]
    assert any("Пропущено from=" in n and "це не дата" in n for n in notes), notes
    assert not any("not a date" in n for n in notes)


def test_sign_in_and_refusal_screens_in_ukrainian(team):  # noqa: F811
    at = access_run("pages/1_Map.py", LOGGED_OUT, query={"lang": "uk"})
    assert not at.exception, at.exception
    assert [b.label for b in at.button] == ["Увійти"]
    assert "Увійдіть через обліковий запис команди" in at.info[0].value
    at = access_run("app.py", user("eve@elsewhere.org"), query={"lang": "uk"})
    assert [b.label for b in at.button] == ["Вийти"]
    assert "немає в списку доступу" in at.error[0].value
    at = access_run("pages/4_Import.py", user("carol@x.org"), query={"lang": "uk"})
    assert at.title[0].value == "Вам недоступно"
    assert at.error[0].value == "Для цієї сторінки потрібна роль «editor»; ваша роль — «viewer»."
    assert "Ви увійшли як" in " ".join(c.value for c in at.sidebar.caption)
