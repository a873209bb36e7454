"""Figure labels are drawn whole, never cut off with an ellipsis, and the baseline figure names the
agency of each row (five "Partners acknowledge the notification" rows are five agencies)."""

from __future__ import annotations

from typing import Any

from reportlab.graphics.shapes import Drawing, String

from aar.model import Baseline, BaselineComparison, TaskCount
from aar.render.charts import baseline_chart, compliance_charts

LONG = "Federal Protective Service, Riverton Area Command notified of a declared incident within the plan's deadline"


def strings(drawing: Drawing) -> list[str]:
    def walk(node: Any) -> list[str]:
        if isinstance(node, String):
            return [node.text]
        return [t for child in getattr(node, "contents", []) for t in walk(child)]
    return walk(drawing)


def test_a_long_protocol_label_is_drawn_whole() -> None:
    [chart] = compliance_charts([TaskCount(name="NOT-03", label=LONG, met=1, late=2)], 470)
    texts = strings(chart)
    assert not any("\u2026" in t or t.endswith("...") for t in texts)
    assert " ".join(texts).split()[: len(LONG.split())] == LONG.split()


def test_the_baseline_figure_names_each_rows_agency() -> None:
    partners = {"county_sheriff": "Harlan County Sheriff's Office", "eoc": "Harlan County Emergency Operations Centre",
                "federal_protective_service": "Federal Protective Service, Riverton Area Command"}
    rows = tuple(
        BaselineComparison(protocol_id=f"NOT-03/{a}", title="Partners acknowledge the notification", agency=a,
                           actual_s=(300.0,), actual_median_s=300.0, simulated_median_s=240.0, simulated_p90_s=600.0,
                           simulated_met_share=0.9, actual_met_share=1.0, verdict="within", sentence="")
        for a in partners)
    chart = baseline_chart(Baseline(runs=10, seed=1, comparisons=rows, bottlenecks=()), 470, partners)
    assert chart is not None
    text = " ".join(strings(chart))
    assert "\u2026" not in text
    squashed = "".join(text.split())
    for name in partners.values():
        assert f"Partnersacknowledgethenotification({''.join(name.split())})" in squashed, name
