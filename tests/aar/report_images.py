"""Retake the report pages shown in README.md and docs/report.md (needs poppler's pdftoppm):

    python -m tests.aar.report_images

The mass-casualty scenario, a run of the real simulation with three critical tasks left undone
and an evaluator's note (``tests.aar.test_aar_ip.simulated_report``).
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pypdf

from aar.render.pdf import render_pdf
from exercises.scenario.loading import load_scenario
from tests.aar.test_aar_ip import simulated_report

ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "report-page-summary.png": "Executive Summary",
    "report-page-analysis.png": "Analysis of Core Capabilities",
    "report-page-plan.png": "Appendix A: Improvement Plan",
    "report-page-network.png": "Coordination and the Agency Network",
}


def main() -> None:
    scenario = load_scenario(ROOT / "data" / "scenarios" / "mass_casualty.yaml")
    pdf = render_pdf(simulated_report(scenario))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    starts = {str(i["/Title"]): reader.get_destination_page_number(i) for i in reader.outline if isinstance(i, dict)}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "aar.pdf"
        source.write_bytes(pdf)
        for name, section in PAGES.items():
            page = starts[section] + 1
            stem = Path(folder) / name.removesuffix(".png")
            subprocess.run(["pdftoppm", "-png", "-r", "90", "-singlefile", "-f", str(page), "-l", str(page),
                            str(source), str(stem)], check=True)
            (ROOT / "docs" / "images" / name).write_bytes(stem.with_suffix(".png").read_bytes())
            print(f"docs/images/{name}: page {page}, {section}")


if __name__ == "__main__":
    main()
