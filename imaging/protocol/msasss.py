"""The protocol's ``[msasss]`` table: which item holds the corner scores, the two segments, the
rule for corners that cannot be scored, what a new syndesmophyte is, and when progression is read.

mSASSS (Creemers MCW et al. Ann Rheum Dis 2005;64:127-129): 24 anterior vertebral corners, lower
C2 to upper T1 (cervical segment) and lower T12 to upper S1 (lumbar segment), each 0-3, total
0-72. Studies differ in how they treat corners that cannot be scored
(shared/reference/spine-imaging.md section 7): the protocol states its rule as data
(``max_missing_per_segment``, ``missing_rule``) and :mod:`imaging.endpoints.msasss` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from imaging.errors import ProtocolError

if TYPE_CHECKING:
    from imaging.protocol._toml import Table
    from imaging.protocol.model import GradingItem, Protocol

SEGMENTS = ("cervical", "lumbar")
"""The two segments of mSASSS, in the order of the table."""
SITES_PER_SEGMENT = 12


@dataclass(frozen=True)
class MsasssSettings:
    """``[msasss]``: how the corner scores of ``item`` make the mSASSS endpoint.

    ``cervical``, ``lumbar``: the 12 corners of each segment (sites of the item).
    ``max_missing_per_segment``: corners a segment may lack, each then given the mean of the
    segment's scorable corners (same visit and read); more missing: the total is missing.
    ``missing_rule``: the rule in words with its source. ``syndesmophyte``: the codes that are
    a syndesmophyte (2 and 3); a corner below them at the first progression visit and among them
    later is a new syndesmophyte. ``progression_visits``: the visits progression is read between
    (first: the reference), at least ``min_progression_days`` apart. ``paired_reading``: a
    subject's films of these visits are read together, time order concealed.
    """

    item: str
    cervical: tuple[str, ...]
    lumbar: tuple[str, ...]
    max_missing_per_segment: int
    missing_rule: str
    syndesmophyte: tuple[str, ...] = ("2", "3")
    progression_visits: tuple[str, ...] = ()
    min_progression_days: int = 0
    paired_reading: bool = False

    @property
    def segments(self) -> dict[str, tuple[str, ...]]:
        """Segment name -> its corners, cervical first."""
        return {"cervical": self.cervical, "lumbar": self.lumbar}

    @property
    def sites(self) -> tuple[str, ...]:
        return (*self.cervical, *self.lumbar)

    def check(self, protocol: Protocol) -> None:
        """Refuse settings that do not fit ``protocol``: the item, its sites, codes and visits."""
        item = _item(protocol, self.item)
        for name, sites in self.segments.items():
            if len(sites) != SITES_PER_SEGMENT or len(set(sites)) != len(sites):
                raise ProtocolError(
                    f"msasss.{name} lists {len(set(sites))} different corners; mSASSS scores "
                    f"{SITES_PER_SEGMENT} per segment",
                    key=f"msasss.{name}",
                    fix="List the segment's 12 anterior corners once each (Creemers 2005).",
                )
            outside = [s for s in sites if s not in item.levels]
            if outside:
                raise ProtocolError(
                    f"msasss.{name}: {outside} are not sites of item {item.name!r}",
                    key=f"msasss.{name}",
                    fix=f"Sites of {item.name}: {', '.join(item.levels)}.",
                )
        both = set(self.cervical) & set(self.lumbar)
        if both:
            raise ProtocolError(f"msasss: {sorted(both)} are in both segments", key="msasss.lumbar")
        if not 0 <= self.max_missing_per_segment < SITES_PER_SEGMENT:
            raise ProtocolError(
                f"msasss.max_missing_per_segment must be 0 to {SITES_PER_SEGMENT - 1}, got "
                f"{self.max_missing_per_segment}",
                key="msasss.max_missing_per_segment",
            )
        if not self.missing_rule.strip():
            raise ProtocolError(
                "msasss.missing_rule is empty",
                key="msasss.missing_rule",
                fix="State the rule for corners that cannot be scored and its source.",
            )
        wrong = [c for c in self.syndesmophyte if c not in item.scale.codes]
        if wrong or not self.syndesmophyte:
            raise ProtocolError(
                f"msasss.syndesmophyte {list(self.syndesmophyte)} are not grades of "
                f"{item.scale.name}",
                key="msasss.syndesmophyte",
                fix=f"Grades: {item.scale.valid_text()}.",
            )
        self._check_visits(protocol, item)

    def _check_visits(self, protocol: Protocol, item: GradingItem) -> None:
        key = "msasss.progression_visits"
        if not self.progression_visits:
            return
        ids = [v.id for v in protocol.visits]
        unknown = [v for v in self.progression_visits if v not in ids]
        if unknown:
            raise ProtocolError(
                f"{key}: {unknown} are not visits", key=key, fix=f"Visits: {', '.join(ids)}."
            )
        unread = [v for v in self.progression_visits if not item.read_at_visit(v)]
        if unread:
            raise ProtocolError(
                f"{key}: {item.name} is read at {item.visits_text()}, not at {unread}", key=key
            )
        if len(self.progression_visits) < 2:
            raise ProtocolError(f"{key} needs the first visit and a later one", key=key)
        first = protocol.visit(self.progression_visits[0])
        last = protocol.visit(self.progression_visits[-1])
        shortest = last.first_day - first.last_day
        if shortest < self.min_progression_days:
            raise ProtocolError(
                f"{key}: {last.id} ({last.window_text()}) can be {shortest} days after "
                f"{first.id} ({first.window_text()}), less than min_progression_days "
                f"{self.min_progression_days}",
                key=key,
                fix="Move the later visit's window, or state the interval the trial reads over.",
            )


def _item(protocol: Protocol, name: str) -> GradingItem:
    try:
        item = protocol.item(name)
    except ProtocolError:
        raise ProtocolError(
            f"msasss.item {name!r} is not a grading item of the protocol",
            key="msasss.item",
            fix=f"Items: {', '.join(i.name for i in protocol.items)}.",
        ) from None
    if not item.scale.ordered:
        raise ProtocolError(
            f"msasss.item {name!r} is graded on the nominal scale {item.scale.name}: a total "
            "needs scores",
            key="msasss.item",
        )
    return item


def msasss_settings(table: Table | None) -> MsasssSettings | None:
    """``[msasss]`` of a protocol file, or None when it has none (checked against the whole
    protocol by :meth:`MsasssSettings.check` once it is built)."""
    if table is None:
        return None
    settings = MsasssSettings(
        item=table.text("item"),
        cervical=tuple(table.texts("cervical")),
        lumbar=tuple(table.texts("lumbar")),
        max_missing_per_segment=table.whole("max_missing_per_segment"),
        missing_rule=table.text("missing_rule"),
        syndesmophyte=tuple(table.texts("syndesmophyte", ["2", "3"])),
        progression_visits=tuple(table.texts("progression_visits", [])),
        min_progression_days=table.whole("min_progression_days", 0),
        paired_reading=table.flag("paired_reading", False),
    )
    table.done()
    return settings
