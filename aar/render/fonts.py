"""Fonts and untrusted text for the PDF: every script users type must render, no markup leaks.

- Body font: DejaVu Sans (Latin, Greek, Cyrillic, Hebrew, Arabic, ...), found among the system's
  fonts (Debian: fonts-dejavu-core). Without it, reportlab's bundled Vera (Latin only) is used and
  the report says so.
- Chinese, Japanese and Korean: the first TrueType CJK font found (WenQuanYi, Droid Sans
  Fallback, AR PL); without one, reportlab's built-in Adobe STSong-Light (not embedded: the text
  is in the file and extractable, but a viewer without Asian font packs draws boxes), and the
  report says so. Characters the body font lacks are set in the CJK font run by run.
- Right-to-left: Arabic letters are joined with arabic-reshaper (contextual presentation forms)
  and each line is put in visual order with python-bidi (the Unicode bidi algorithm); the text is
  then drawn left to right. reportlab's own bidi support needs ``rlbidi``, which is not on the
  package index; see docs/report.md for the limit this leaves (a right-to-left paragraph that
  wraps keeps its lines in top-to-bottom order of the visual line, so it reads from its last line).
- Markup: every user value is escaped with ``xml.sax.saxutils.escape`` after the transformations
  above, so ``<b>unclosed`` or ``<img src=...>`` is shown, never interpreted.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

BODY = "HotwashSans"
BODY_BOLD = "HotwashSans-Bold"
BODY_ITALIC = "HotwashSans-Oblique"
CJK = "HotwashCJK"

_BODY_FILES = {
    BODY: ("DejaVuSans.ttf",),
    BODY_BOLD: ("DejaVuSans-Bold.ttf",),
    BODY_ITALIC: ("DejaVuSans-Oblique.ttf",),
}
_CJK_FILES = (
    ("wqy-microhei.ttc", 0),
    ("wqy-zenhei.ttc", 0),
    ("DroidSansFallbackFull.ttf", 0),
    ("DroidSansFallback.ttf", 0),
    ("uming.ttc", 0),
    ("ukai.ttc", 0),
)
_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "C:/Windows/Fonts",
)
FONT_DIR_ENV = "HOTWASH_FONT_DIR"
"""A folder searched first for the fonts above (for systems that keep fonts elsewhere)."""

_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


@dataclass
class FontSet:
    body: str
    bold: str
    italic: str
    cjk: str | None
    cjk_embedded: bool
    notes: list[str] = field(default_factory=list)
    _covered: dict[str, set[int] | None] = field(default_factory=dict)
    _cjk_files: list[tuple[Path, int]] = field(default_factory=list)
    """The CJK TrueType fonts found and not yet read (``load_cjk``)."""

    def covers(self, font: str, char: str) -> bool:
        if font == CJK:
            self.load_cjk()
        glyphs = self._covered.get(font)
        return glyphs is None or ord(char) in glyphs

    def load_cjk(self) -> None:
        """Read the CJK font the first time a text needs it: its tables take some 24 MiB, which a
        report in Latin, Greek, Cyrillic or Arabic script never uses. A font that cannot be read is
        passed over for the next; with none left, Adobe STSong-Light (not embedded)."""
        while self._cjk_files:
            path, index = self._cjk_files.pop(0)
            try:
                pdfmetrics.registerFont(TTFont(CJK, str(path), subfontIndex=index, shapable=False))
            except (TTFError, OSError) as exc:
                log.warning("cannot use %s: %s", path, exc)
                continue
            self._cjk_files.clear()
            self._covered[CJK] = _glyphs(CJK)
            return
        if self.cjk == CJK and CJK not in self._covered:  # every file found failed: fall back
            _register_stsong()
            self.cjk, self.cjk_embedded = STSONG, False
            self._covered[CJK] = None
            self.notes.append(STSONG_NOTE)


def _font_files() -> dict[str, Path]:
    """Font file name -> path, over the usual system folders (first found wins)."""
    found: dict[str, Path] = {}
    dirs = [os.environ.get(FONT_DIR_ENV, ""), *_FONT_DIRS]
    for raw in dirs:
        if not raw:
            continue
        root = Path(raw).expanduser()
        if not root.is_dir():
            continue
        for folder, _, files in os.walk(root):
            for name in files:
                found.setdefault(name, Path(folder) / name)
    return found


def _glyphs(font_name: str) -> set[int] | None:
    font = pdfmetrics.getFont(font_name)
    face = getattr(font, "face", None)
    table = getattr(face, "charToGlyph", None)
    return set(table) if table else None


@cache
def fonts() -> FontSet:
    """Register the report's fonts once per process and say what had to fall back."""
    files = _font_files()
    notes: list[str] = []
    names: dict[str, str] = {}
    for name, candidates in _BODY_FILES.items():
        path = next((files[c] for c in candidates if c in files), None)
        if path is None:
            continue
        try:
            pdfmetrics.registerFont(TTFont(name, str(path), shapable=False))
            names[name] = name
        except (TTFError, OSError) as exc:
            log.warning("cannot use %s: %s", path, exc)
    if BODY not in names:
        vera = {BODY: "Vera", BODY_BOLD: "VeraBd", BODY_ITALIC: "VeraIt"}
        for name, file in vera.items():
            pdfmetrics.registerFont(TTFont(name, f"{file}.ttf", shapable=False))
            names[name] = name
        notes.append(
            "DejaVu Sans was not found on this system: the report uses Bitstream Vera, which covers "
            "Latin text only; other scripts may show as empty boxes (install fonts-dejavu-core)."
        )
    for name in (BODY_BOLD, BODY_ITALIC):
        names.setdefault(name, BODY)
    pdfmetrics.registerFontFamily(
        BODY, normal=BODY, bold=names[BODY_BOLD], italic=names[BODY_ITALIC], boldItalic=names[BODY_BOLD]
    )
    cjk_files = [(files[file], index) for file, index in _CJK_FILES if file in files]
    if not cjk_files:
        _register_stsong()
        notes.append(STSONG_NOTE)
    result = FontSet(
        body=BODY, bold=names[BODY_BOLD], italic=names[BODY_ITALIC], cjk=CJK if cjk_files else STSONG,
        cjk_embedded=bool(cjk_files), notes=notes, _cjk_files=cjk_files,
    )
    result._covered[BODY] = _glyphs(BODY)
    return result


STSONG = "STSong-Light"
STSONG_NOTE = (
    "No TrueType font for Chinese, Japanese or Korean was found: such text is set in Adobe "
    "STSong-Light, which is not embedded; viewers without Asian font packs show boxes "
    "(install fonts-wqy-microhei)."
)


def _register_stsong() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(STSONG))


def has_rtl(text: str) -> bool:
    return bool(_RTL.search(text))


_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")


def visual(text: str) -> str:
    """``text`` as drawn left to right: Arabic joined, right-to-left runs in visual order, per line."""
    if not has_rtl(text):
        return text
    out = []
    for line in text.split("\n"):
        if _ARABIC.search(line):
            line = arabic_reshaper.reshape(line)
        out.append(get_display(line))
    return "\n".join(out)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F") and not char.isspace()


def _runs(text: str, fs: FontSet) -> Iterator[tuple[str | None, str]]:
    """(font or None for the body font, run of text) pieces."""
    glyphs = fs._covered.get(fs.body)
    if not text:
        return
    if glyphs is None or glyphs.issuperset(map(ord, text.replace("\n", "").replace("\t", "").replace(" ", ""))):
        yield None, text  # the body font draws it all (most text: a curly quote, a dash, an accent)
        return
    current: str | None = None
    buf: list[str] = []
    for char in text:
        font: str | None = None
        if char not in "\n\t " and not fs.covers(fs.body, char):
            if fs.cjk and ((fs.cjk_embedded and fs.covers(CJK, char)) or (not fs.cjk_embedded and _is_wide(char))):
                font = fs.cjk
        if font != current and buf:
            yield current, "".join(buf)
            buf = []
        current = font
        buf.append(char)
    if buf:
        yield current, "".join(buf)


def markup(value: object) -> str:
    """Safe paragraph markup for one untrusted value: visual order, fallback fonts, escaped."""
    text = ("" if value is None else str(value)).replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():  # every body font covers ASCII, and it has no right-to-left letters
        return escape(text).replace("\n", "<br/>")
    text = visual(text)
    fs = fonts()
    parts = []
    for font, run in _runs(text, fs):
        safe = escape(run).replace("\n", "<br/>")
        parts.append(f'<font name="{font}">{safe}</font>' if font else safe)
    return "".join(parts)


def label(value: object) -> tuple[str, str]:
    """(text, font) for a drawing label, where no markup applies: one font per label."""
    text = visual("" if value is None else str(value)).replace("\n", " ")
    fs = fonts()
    if text.isascii():
        return text, fs.body
    needs_cjk = any(font for font, _ in _runs(text, fs))
    return text, (fs.cjk if needs_cjk and fs.cjk else fs.body)


def fitting_size(text: str, room: float, size: float, font: str | None = None) -> float:
    """The font size (at most ``size``, at least 5 pt) at which the longest word of ``text`` fits in
    ``room`` points: table headers shrink rather than break a word ("Misse d")."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    face = font or fonts().bold
    longest = max((stringWidth(w, face, size) for w in text.split()), default=0.0)
    return size if longest <= room else max(5.0, size * room / longest)
