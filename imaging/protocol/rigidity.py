"""The complete spinal rigidity condition (``complete_rigidity`` rules) from one subject's grades.

Seed 002 excludes "those with complete spinal rigidity" without defining it. The AS protocol's
reading: bridging syndesmophytes (mSASSS 3) at every scorable anterior corner of the cervical and
lumbar spine, each segment scorable under the protocol's missing-corner rule
(:mod:`imaging.endpoints.msasss`), and the reader's confirmation (a ``yes``/``no`` finding).
Scores and confirmation must agree: a reader who confirms rigidity beside a corner scored below
bridging (or denies it beside a fully bridged spine) leaves the rule undecided, naming both.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from imaging.endpoints.msasss import corner_scores, msasss_scores, segment_labels
from imaging.protocol.model import CASE_SITE, Protocol, RigidityRule

GradeOf = Callable[[str, str], tuple[str | None, str]]
"""(item, level) -> (the consolidated code, '') or (None, why not)."""


def rigidity_condition(
    protocol: Protocol, rule: RigidityRule, grade: GradeOf
) -> tuple[bool | None, str, str]:
    """Whether the subject's spine is completely rigid: (True / False / None when undecided,
    the values it rests on, the reason)."""
    settings = protocol.msasss
    assert settings is not None  # checked when the protocol loaded
    item = settings.item
    undecided: list[str] = []
    scores: dict[str, float] = {}
    below: list[str] = []
    for site in settings.sites:
        code, detail = grade(item, site)
        if code is None:
            if "disagree" in detail:
                undecided.append(detail)
            continue  # not scored: the missing-corner rule decides whether that matters
        scores[site] = float(protocol.score(item, code) or 0.0)
        if code not in rule.bridged:
            below.append(f"{site} {code}")
    result = msasss_scores(
        corner_scores(settings, scores), segment_labels(settings),
        settings.max_missing_per_segment,
    )  # fmt: skip
    for index, (name, sites) in enumerate(settings.segments.items()):
        if not np.isfinite(result.segment_totals[0, index]):
            missing = int(result.missing[0, index])
            undecided.append(
                f"{missing} of {len(sites)} {name} corners not scored (at most "
                f"{settings.max_missing_per_segment}): the {name} spine is not scorable"
            )
    bridged = ", ".join(rule.bridged)
    scored = len(scores)
    summary = (
        f"{len(below)} of {scored} scored corners below bridging ({', '.join(below[:6])}"
        f"{', ...' if len(below) > 6 else ''})"
        if below
        else f"all {scored} scored corners {item} {bridged}"
    )
    said, who = grade(rule.confirmation, CASE_SITE)
    confirmed = f"{rule.confirmation} {said}" if said is not None else ""
    values_text = "; ".join(t for t in (summary if scored else "", confirmed) if t)
    if said is None:
        undecided.append(who.replace(": not graded", ": not recorded"))
    elif said not in (rule.present, rule.absent):
        undecided.append(f"{CASE_SITE} {rule.confirmation}: {said.replace('_', ' ')}")
    if undecided:
        return None, values_text, "; ".join(undecided)
    rigid_by_scores = not below
    if rigid_by_scores and said == rule.present:
        return True, values_text, "every scorable corner bridged, confirmed by the reader"
    if not rigid_by_scores and said == rule.absent:
        return False, values_text, "not rigid: corners below bridging, the reader agrees"
    if rigid_by_scores:
        return (
            None,
            values_text,
            (
                f"every scorable corner is {item} {bridged} but the reader says "
                f"{rule.confirmation} {said}: correct the scores or the confirmation"
            ),
        )
    return (
        None,
        values_text,
        (
            f"the reader confirms {rule.confirmation} but {summary}: correct the scores or the "
            "confirmation"
        ),
    )
