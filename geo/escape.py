"""The one place untrusted text is made safe, one helper per sink.

* :func:`for_map` — any string that reaches folium/branca (popups, tooltips, GeoJSON
  properties, layer names, legend text). folium renders through Jinja a second time, so
  ``{{ 7*7 }}`` in a description would be *code*; and its popups sit in JavaScript template
  literals, so `` ` ``, ``$`` and ``\\`` must be neutralised too (see docs/security.md §1).
* :func:`for_html` — text placed into our own HTML (exports, legends) outside folium.
* :func:`for_spreadsheet` — CSV/XLSX cells: formula prefixes neutralised (OWASP CSV injection).
* :func:`safe_links` — only absolute http(s) URLs ever become links.
"""

from __future__ import annotations

import html
import re
import unicodedata

from geo.schema import is_web_url

_MAP_EXTRA = str.maketrans({
    "`": "&#96;",
    "$": "&#36;",
    "\\": "&#92;",
    "{": "&#123;",
    "}": "&#125;",
})

# First characters that make a spreadsheet read a cell as a formula (or, for "|", a DDE
# command in older Excel): OWASP's list plus the pipe. Checked after NFKC, so the full-width
# forms (＝ ＋ － ＠ ｜) and the small forms (﹦ ﹢ ﹣) are caught as well.
_FORMULA_TRIGGERS = frozenset("=+-@|\t\r\n\0")
# Characters a reader cannot see, which spreadsheets may skip or trim before deciding
# (BOM, zero-width space/joiners, bidi marks, other controls, spaces): looked past.
_INVISIBLE_CATEGORIES = frozenset(("Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"))
# A plain signed decimal ("-12.5", "+3", "-1e5") stays a number; "-inf" would not.
_SIGNED_NUMBER = re.compile(r"[+-](?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def for_html(text: object) -> str:
    """HTML-escape ``text`` (quotes included). ``None`` becomes ''."""
    return "" if text is None else html.escape(str(text), quote=True)


def for_map(text: object) -> str:
    """Escape ``text`` for every folium sink: HTML, Jinja and JS template literals.

    ``html.unescape(for_map(x)) == x``, so the browser shows the original text.

    >>> for_map("{{ 7*7 }} <b>")
    '&#123;&#123; 7*7 &#125;&#125; &lt;b&gt;'
    """
    return for_html(text).translate(_MAP_EXTRA)


def for_spreadsheet(value: object) -> object:
    """Neutralise a CSV/XLSX cell that a spreadsheet would run as a formula.

    A leading apostrophe is what spreadsheets themselves use to mark "this is text"; it is
    hidden when the cell is displayed, so a person reads the original value. Numbers and
    negative numbers stay numbers. The check looks past invisible leading characters and
    normalises compatibility forms first, so ``"\\ufeff=1+1"`` and ``"＝1+1"`` are caught.

    >>> for_spreadsheet("＝1+1"), for_spreadsheet("\\u200b=1+1"), for_spreadsheet("-12.5")
    ("'＝1+1", "'\\u200b=1+1", '-12.5')
    """
    if not isinstance(value, str) or not value:
        return value
    if not is_formula_like(value):
        return value
    if _SIGNED_NUMBER.fullmatch(value):
        return value
    return "'" + value


def is_formula_like(text: str) -> bool:
    """True when the first visible character of ``text`` (after NFKC) starts a formula.

    Leading tabs, CRs, LFs and NULs count as triggers themselves (OWASP lists them).

    >>> is_formula_like("\\ufeff\\u200b |cmd"), is_formula_like("Kyiv =1")
    (True, False)
    """
    for ch in unicodedata.normalize("NFKC", text):
        if ch in _FORMULA_TRIGGERS:
            return True
        if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES:
            return False
    return False


def safe_links(sources: object) -> list[str]:
    """The http(s) URLs in a space-separated ``sources`` cell, in order; others dropped."""
    if not sources:
        return []
    return [part for part in str(sources).split() if is_web_url(part)]


def link_html(url: str, label: str | None = None) -> str:
    """An ``<a>`` for an http(s) URL (escaped for the map sink), or escaped plain text."""
    if not is_web_url(url):
        return for_map(label or url)
    return (
        f'<a href="{for_map(url)}" target="_blank" rel="noopener noreferrer nofollow">'
        f"{for_map(label or url)}</a>"
    )


_MARKDOWN_SPECIAL = set("\\`*_{}[]()<>#+-.!|~$:")


def for_markdown(text: object) -> str:
    """Backslash-escape Markdown so data shows literally in ``st.markdown``/``st.caption``.

    Streamlit already refuses raw HTML, but Markdown itself would still turn data into links,
    images, headings or LaTeX (``$…$``); this keeps it plain text.
    """
    if text is None:
        return ""
    out = []
    for ch in str(text):
        if ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("  \n")
        else:
            out.append(ch)
    return "".join(out)


def markdown_link(url: str, label: str | None = None) -> str:
    """A Markdown link for an http(s) URL, or the escaped text when it is anything else."""
    from urllib.parse import quote

    if not is_web_url(url):
        return for_markdown(label or url)
    target = quote(url, safe=":/?&=#%+@,;~!*'")  # encodes spaces, parentheses, brackets
    return f"[{for_markdown(label or url)}]({target})"
