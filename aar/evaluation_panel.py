"""The evaluation team's ratings for the report: each evaluator's latest rating per capability,
their agreement (percent, Cohen's or Fleiss' kappa), rater-error flags, and the lead evaluator's
reconciled rating, which becomes the rating of record of Table 1.

The final rating of a capability: the lead evaluator's latest reconciliation when there is one;
else the one rating every evaluator gave, when they all agree; else none (the evaluators'
ratings await reconciliation and Table 1 keeps the rating it had).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import fmean

from aar.agreement import cohen_kappa, fleiss_kappa, pair_agreement, percent_agreement
from aar.model import (
    Agreement,
    CapabilityPanel,
    CapabilityRating,
    EvaluationPanel,
    PanelRating,
    RaterFlag,
    Reconciliation,
)
from aar.record import Record
from exercises.record.entries import CapabilityRated, Entry, EvaluatorAssigned, RatingReconciled
from exercises.scenario.model import Rating

ORDINAL = {Rating.P: 0, Rating.S: 1, Rating.M: 2, Rating.U: 3}
PATTERN_MIN = 3
"""Ratings shared with other evaluators before a pattern (leniency, severity, central tendency) is named."""

Item = tuple[str, str | None]


def evaluator_name(actor: str) -> str:
    """'evaluator (Dana Reyes)' -> 'Dana Reyes' (the name as signed in)."""
    prefix = "evaluator ("
    return actor[len(prefix):-1] if actor.startswith(prefix) and actor.endswith(")") else actor


def latest_ratings(record: Record) -> dict[Item, dict[str, PanelRating]]:
    """Per capability (and objective): each evaluator's latest rating."""
    out: dict[Item, dict[str, PanelRating]] = {}
    for e in record.of(CapabilityRated):
        p = e.payload
        if isinstance(p, CapabilityRated) and p.rating is not None:
            who = evaluator_name(e.actor)
            out.setdefault((p.capability, p.objective), {})[who] = PanelRating(
                seq=e.seq, at=e.at, evaluator=who, rating=p.rating, reason=p.reason,
                after_end=record.recorded_after_end(e.seq),
            )
    return out


def reconciliations(record: Record) -> dict[Item, Reconciliation]:
    out: dict[Item, Reconciliation] = {}
    for e in record.of(RatingReconciled):
        p = e.payload
        if isinstance(p, RatingReconciled):
            out[(p.capability, p.objective)] = Reconciliation(
                seq=e.seq, at=e.at, evaluator=evaluator_name(e.actor), rating=p.rating, reason=p.reason,
                weighed=p.ratings, after_end=record.recorded_after_end(e.seq),
            )
    return out


def _assignments(entries: Sequence[Entry], names: dict[str, str]) -> tuple[tuple[str, str], ...]:
    out = []
    for e in entries:
        p = e.payload
        if isinstance(p, EvaluatorAssigned):
            parts = [x for x in (p.capability, names.get(p.agency or "", p.agency)) if x]
            out.append((p.evaluator, "lead evaluator" if p.lead else ", ".join(parts)))
    return tuple(out)


def panel_item(item: Item, ratings: dict[str, PanelRating], reconciled: Reconciliation | None) -> CapabilityPanel:
    given = sorted(ratings.values(), key=lambda r: r.evaluator.casefold())
    agreement = pair_agreement([r.rating for r in given])
    unanimous = given[0].rating if given and all(r.rating is given[0].rating for r in given) else None
    return CapabilityPanel(
        capability=item[0], objective=item[1], ratings=tuple(given),
        agreement=float(agreement) if agreement is not None else None,
        reconciled=reconciled, final=reconciled.rating if reconciled else unanimous,
    )


def agreement(by_item: dict[Item, dict[str, PanelRating]]) -> Agreement | None:
    """Cohen's kappa for two evaluators, Fleiss' for more, over the capabilities all of them rated."""
    raters = sorted({who for ratings in by_item.values() for who in ratings})
    if len(raters) < 2:
        return None
    shared = [item for item, ratings in by_item.items() if len(ratings) == len(raters)]
    table = [[by_item[item][who].rating for who in raters] for item in shared]
    if len(raters) == 2:
        kappa = cohen_kappa([row[0] for row in table], [row[1] for row in table])
    else:
        kappa = fleiss_kappa(table)
    percent = percent_agreement(table)
    return Agreement(
        measure="Cohen's kappa" if len(raters) == 2 else "Fleiss' kappa",
        kappa=float(kappa) if kappa is not None else None,
        percent=float(percent) if percent is not None else None,
        items=len(shared), raters=len(raters),
        left_out=sum(1 for ratings in by_item.values() if 1 < len(ratings) < len(raters)),
    )


def rater_flags(by_item: dict[Item, dict[str, PanelRating]]) -> list[RaterFlag]:
    """Leniency or severity: a full step more favourable (or harsher) than the other evaluators on
    average; central tendency: only S and M where the others also used P or U. Named only over
    PATTERN_MIN or more capabilities rated together with others."""
    flags: list[RaterFlag] = []
    raters = sorted({who for ratings in by_item.values() for who in ratings})
    for who in raters:
        shared = [r for r in by_item.values() if who in r and len(r) > 1]
        if len(shared) < PATTERN_MIN:
            continue
        gaps = [ORDINAL[r[who].rating] - fmean(ORDINAL[o.rating] for k, o in r.items() if k != who) for r in shared]
        gap = fmean(gaps)
        n = len(shared)
        if gap <= -1:
            flags.append(RaterFlag(evaluator=who, error="leniency",
                                   detail=f"rated {-gap:.1f} steps more favourably than the others on average, "
                                   f"over {n} capabilities"))
        elif gap >= 1:
            flags.append(RaterFlag(evaluator=who, error="severity",
                                   detail=f"rated {gap:.1f} steps more harshly than the others on average, "
                                   f"over {n} capabilities"))
        own = {r[who].rating for r in shared}
        others = {o.rating for r in shared for k, o in r.items() if k != who}
        if own <= {Rating.S, Rating.M} and others & {Rating.P, Rating.U}:
            flags.append(RaterFlag(evaluator=who, error="central tendency",
                                   detail=f"gave only S or M over {n} capabilities where the others also "
                                   "rated P or U"))
    return flags


def evaluation_panel(record: Record, agency_names: dict[str, str]) -> EvaluationPanel | None:
    """The team's ratings as the report shows them (None: no evaluator rated a capability)."""
    by_item = latest_ratings(record)
    reconciled = reconciliations(record)
    items = list(dict.fromkeys([*by_item, *reconciled]))
    if not items:
        return None
    leads = [a for a, what in _assignments(record.of(EvaluatorAssigned), agency_names) if what == "lead evaluator"]
    return EvaluationPanel(
        evaluators=tuple(sorted({who for r in by_item.values() for who in r}, key=str.casefold)),
        lead=leads[-1] if leads else None,
        assignments=_assignments(record.of(EvaluatorAssigned), agency_names),
        capabilities=tuple(panel_item(i, by_item.get(i, {}), reconciled.get(i)) for i in items),
        agreement=agreement(by_item),
        flags=tuple(rater_flags(by_item)),
    )


def with_final_ratings(rows: Sequence[CapabilityRating], panel: EvaluationPanel | None) -> list[CapabilityRating]:
    """Table 1 with each capability's final team rating as its rating of record, where there is one:
    one for the row's objective first, else one for the capability with no objective named."""
    if panel is None:
        return list(rows)
    final = {(c.capability, c.objective): c.final for c in panel.capabilities if c.final is not None}
    out = []
    for row in rows:
        rating = final.get((row.capability, row.objective)) or final.get((row.capability, None))
        out.append(row.model_copy(update={"of_record": rating}) if rating is not None else row)
    return out
