"""Leaflet and jQuery served by our own server, taken from registry packages at start-up.

folium points the browser at public CDNs; offline (and in CI) that leaves an empty gap
where the map should be. We copy the files from pip packages into ``static/vendor/`` (git
ignores it: no third-party code is committed) and Streamlit serves them at
``/app/static/vendor/``. Exported HTML inlines the same files instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from geo.settings import ROOT

STATIC_DIR = ROOT / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
URL_PREFIX = "/app/static/vendor"
# Files we build from bundled data (the basemap's shapes), served so the browser caches them.
GENERATED_DIR = STATIC_DIR / "generated"
GENERATED_URL = "/app/static/generated"


def _sources() -> dict[str, Path]:
    import js_lib_leaflet
    import xstatic.pkg.jquery as xjquery

    leaflet = Path(js_lib_leaflet.__file__).parent / "static" / "js_lib_leaflet"
    return {
        "leaflet.js": leaflet / "leaflet.js",
        "leaflet.css": leaflet / "leaflet.css",
        "images": leaflet / "images",
        "jquery.min.js": Path(xjquery.BASE_DIR) / "jquery.min.js",
    }


# Our own map script and style (committed, served from static/ as they are).
OWN_FILES = {"salvo-map.js": STATIC_DIR / "salvo-map.js",
             "salvo-map.css": STATIC_DIR / "salvo-map.css"}


def vendor_file(name: str) -> Path:
    """Path of a vendored file inside its package, or of our own map script/style (for
    inlining into exported HTML)."""
    if name in OWN_FILES:
        return OWN_FILES[name]
    return _sources()[name]


def ensure_static(target: Path = VENDOR_DIR) -> Path:
    """Copy the vendored files into ``target`` if missing or stale; returns ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name, source in _sources().items():
        dest = target / name
        if source.is_dir():
            if not dest.exists():
                shutil.copytree(source, dest)
            continue
        if not dest.exists() or dest.stat().st_size != source.stat().st_size:
            tmp = dest.with_suffix(dest.suffix + f".{os.getpid()}.tmp")
            shutil.copyfile(source, tmp)
            os.replace(tmp, dest)  # atomic: two sessions starting at once both succeed
    return target


def publish(name: str, text: str, target: Path = GENERATED_DIR) -> str | None:
    """Serve ``text`` as a static file; returns its URL, or None when ``target`` cannot be
    written (a read-only deployment: the caller sends the text inline instead).

    The file name carries the content's hash, so a URL never changes meaning and any number
    of processes can publish the same text at once (each write is an atomic rename).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> url = publish("shapes.json", "{}", folder)
    >>> url
    '/app/static/generated/shapes-bf21a9e8fbc5.json'
    >>> (folder / url.rsplit("/", 1)[1]).read_text()
    '{}'
    """
    data = text.encode("utf-8")
    digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]
    stem, dot, ext = name.rpartition(".")
    file_name = f"{stem}-{digest}{dot}{ext}" if dot else f"{name}-{digest}"
    dest = target / file_name
    try:
        if not dest.exists():
            target.mkdir(parents=True, exist_ok=True)
            tmp = target / f".{file_name}.{os.getpid()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, dest)
    except OSError:
        return None
    return f"{GENERATED_URL}/{file_name}"


def _stamped(name: str) -> str:
    """``/app/static/<name>?v=<content hash>``: a changed file is never taken from a cache."""
    digest = hashlib.sha1(OWN_FILES[name].read_bytes(), usedforsecurity=False).hexdigest()
    return f"/app/static/{name}?v={digest[:10]}"


JS_LINKS = [("leaflet", f"{URL_PREFIX}/leaflet.js"), ("jquery", f"{URL_PREFIX}/jquery.min.js"),
            ("salvo_map", _stamped("salvo-map.js"))]
CSS_LINKS = [("leaflet_css", f"{URL_PREFIX}/leaflet.css"),
             ("salvo_map_css", _stamped("salvo-map.css"))]
