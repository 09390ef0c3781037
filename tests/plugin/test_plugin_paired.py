"""A paired sitting without a viewer: the mSASSS corners alone, set by set, a draft resumed."""

from __future__ import annotations

from napari_spine_endpoints._model.paired import PairedSitting

from imaging.anatomy import MSASSS_SITES
from imaging.protocol.loader import load_protocol
from imaging.store.paired import PairedCase, PairedSet
from imaging.store.reads import ReadContent
from imaging.store.vocabulary import ReadStatus


def _sitting(saved: dict[str, ReadContent]) -> PairedSitting:
    protocol = load_protocol("as-ucmsc")
    sets = (
        PairedSet("A", "rd-1", ReadStatus.DRAFT),
        PairedSet("B", "rd-2", ReadStatus.TO_READ),
    )
    return PairedSitting(
        protocol, PairedCase("P-0123456789", sets, ("msasss",), MSASSS_SITES), saved
    )


def test_each_set_scores_the_24_corners_alone_and_the_next_set_follows() -> None:
    sitting = _sitting({})
    assert sitting.label == "A"
    assert [s.site for s in sitting.scoring.steps] == list(MSASSS_SITES)  # no joint, no spine
    for _ in MSASSS_SITES:
        sitting.scoring.score("1")
    assert sitting.label == "B" and not sitting.done
    sitting.scoring.cannot_score("hidden by the shoulders")
    problems = sitting.problems()
    assert len(problems) == 23 and problems[0].startswith("set B: C3-upper: no msasss grade")
    contents = sitting.contents()
    assert contents["A"].grades == {(site, "msasss"): "1" for site in MSASSS_SITES}
    assert contents["B"].grades == {}
    assert contents["B"].notes == {"C2-lower": "[not graded: hidden by the shoulders]"}


def test_a_saved_draft_is_resumed_on_its_first_corner_without_a_score() -> None:
    saved = {
        "A": ReadContent(
            grades={("C2-lower", "msasss"): "2"},
            notes={"C3-upper": "kept [not graded: hidden by the shoulders]"},
        )
    }
    sitting = _sitting(saved)
    form = sitting.scoring.form
    assert form.values == {("C2-lower", "msasss"): "2"}
    assert form.reasons == {"C3-upper": "hidden by the shoulders"}
    assert sitting.label == "A" and sitting.scoring.current.site == "C3-lower"
