"""The accessible PDF: the Word copy exported by LibreOffice as a tagged PDF.

ReportLab draws the standard PDF but cannot tag it (no structure tree, no marked content), so a
screen reader finds no headings, tables or figure descriptions in it. The Word copy has them all
(Word heading styles, header rows, each picture's description, the document language), and
LibreOffice's PDF export with ``UseTaggedPDF`` turns them into a structure tree with headings,
tables, figures with alternate text, the language and the title. That export is this file: the
same blocks, so the same content, as ``render_docx``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

EXPORT_FILTER = 'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"},' \
                '"DisplayPDFDocumentTitle":{"type":"boolean","value":"true"}}'
TIMEOUT_S = 300


class TaggedPdfError(RuntimeError):
    """The tagged PDF could not be made; the message says why and what to install."""


def office() -> str:
    """The LibreOffice program, or a clear error naming the package that brings it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise TaggedPdfError("the accessible PDF is made by LibreOffice, which is not installed here "
                             "(Debian: apt-get install libreoffice-writer-nogui)")
    return found


def tagged_pdf(docx: bytes) -> bytes:
    """The Word copy's bytes as a tagged PDF's bytes."""
    program = office()
    with tempfile.TemporaryDirectory(prefix="hotwash-pdf-") as folder:
        work = Path(folder)
        (work / "report.docx").write_bytes(docx)
        # A profile of its own: two reports made at once must not share LibreOffice's user folder.
        command = [program, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
                   "--convert-to", EXPORT_FILTER, "--outdir", str(work), str(work / "report.docx")]
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise TaggedPdfError(f"LibreOffice did not finish the accessible PDF in {TIMEOUT_S} s") from None
        made = work / "report.pdf"
        if not made.exists():
            raise TaggedPdfError("LibreOffice did not write the accessible PDF")
        return made.read_bytes()
