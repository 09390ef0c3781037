"""The shipped protocols load as the trials describe them; bad files name the line and reason."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from imaging.errors import ProtocolError
from imaging.protocol import (
    AnyOfRule,
    GradeRule,
    InstabilityRule,
    Match,
    MeasureRule,
    Role,
    builtin_protocols,
    load_protocol,
)
from imaging.protocol.loader import DEFAULT_PROTOCOL
from imaging.protocol.model import RigidityRule


def line_of(text: str, snippet: str) -> int:
    return text[: text.index(snippet)].count("\n") + 1


def test_default_protocol_is_the_dlbp_trial_with_its_eight_visits() -> None:
    protocol = load_protocol()
    assert protocol.registration == "ChiCTR2200058291"
    assert protocol.dicom_protocol_ids == ("ChiCTR2200058291",)  # (0012,0020) of its images
    assert [v.id for v in protocol.visits] == [
        "baseline", "week_1", "month_1", "month_3", "month_6", "month_12", "month_18", "month_24",
    ]  # fmt: skip
    assert [v.day for v in protocol.visits] == [0, 7, 30, 91, 182, 365, 547, 730]
    assert protocol.baseline_visit == "baseline" == protocol.eligibility_visit
    assert protocol.visit("M06").id == "month_6"
    assert protocol.visit("baseline").label == "Baseline"
    windows = [(v.first_day, v.last_day) for v in protocol.visits]
    assert all(a[1] < b[0] for a, b in pairwise(windows)), windows
    assert protocol.levels == ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
    assert protocol.target_level == "L4-L5"
    assert [i.name for i in protocol.items] == [
        "pfirrmann", "modic_cranial", "modic_caudal", "discography_single_painful_disc",
        "spondylitis", "vertebral_fracture", "severe_spinal_stenosis", "severe_disc_herniation",
    ]  # fmt: skip
    assert dict(protocol.thresholds) == {
        "height_loss_pct": 20.0,
        "instability_translation_mm": 3.0,
        "instability_angle_deg": 15.0,
    }


def test_default_protocol_rules_are_the_trials_imaging_criteria() -> None:
    rules = {r.id: r for r in load_protocol().rules}
    modic = rules["modic_target"]
    assert isinstance(modic, GradeRule)
    assert modic.items == ("modic_cranial", "modic_caudal")
    assert modic.levels == ("L4-L5",) and modic.match is Match.ANY
    assert modic.values == ("I", "II", "I/II", "II/III")  # mixed types with a I or II part
    pfirrmann = rules["pfirrmann_target"]
    assert isinstance(pfirrmann, GradeRule) and pfirrmann.values == ("3", "4", "5")
    height = rules["height_loss_target"]
    assert isinstance(height, MeasureRule)
    assert (height.measure, height.comparison, height.threshold) == (
        "height_loss_vs_adjacent_pct", ">=", 20.0,
    )  # fmt: skip
    unstable = rules["dynamic_instability"]
    assert isinstance(unstable, InstabilityRule) and unstable.role is Role.EXCLUSION
    assert (unstable.translation_mm, unstable.angle_deg) == (3.0, 15.0)
    assert len(unstable.levels) == 5


def test_the_as_protocol_uses_other_sites_and_scales() -> None:
    assert set(builtin_protocols()) >= {"dlbp-chictr2200058291", "as-ucmsc"}
    protocol = load_protocol("as-ucmsc")
    sacroiliitis = protocol.item("sacroiliitis")
    assert sacroiliitis.levels == ("SIJ-left", "SIJ-right")
    assert sacroiliitis.scale.codes == ("0", "1", "2", "3", "4")
    msasss = protocol.item("msasss")
    assert len(msasss.levels) == 24 and msasss.scale.codes == ("0", "1", "2", "3")
    rule, rigidity = protocol.rules
    assert isinstance(rule, AnyOfRule)
    assert isinstance(rigidity, RigidityRule) and rigidity.bridged == ("3",)
    assert protocol.dicom_protocol_ids == ("AS-UCMSC",)
    assert protocol.visit_schedule == "core_lab" and protocol.msasss is not None
    assert protocol.msasss.progression_visits == ("baseline", "month_24")
    assert [(r.match, r.values) for r in rule.rules] == [  # type: ignore[union-attr]
        (Match.ALL, ("2", "3", "4")),
        (Match.ANY, ("3", "4")),
    ]


BAD_EDITS = [
    # (replace this, with this, the text on the line to report, part of the message)
    ("window_before = 30", "window_before = -30", "window_before = -30", "must be 0 or more days"),
    ("values = [3, 4, 5]", "values = [3, 4, 6]", "values = [3, 4, 6]",
     "'6' is not a grade of the Pfirrmann scale"),
    ('values = ["I", "II", "I/II", "II/III"]', 'values = ["I", "IV"]', 'values = ["I", "IV"]',
     "'IV' is not a grade of the Modic scale"),
    ('levels = ["L4-L5"]', 'levels = ["L4-L9"]', 'levels = ["L4-L9"]',
     "level 'L4-L9' is not among the levels read"),
    ("window_after = 14", "windw_after = 14", "windw_after = 14", "unknown key 'windw_after'"),
    ("day = 91", 'day = "91"', 'day = "91"', "day must be a whole number"),
    ("day = 91", 'day = "91', 'day = "91', "not valid TOML"),
    ('scale = "modic"', 'scale = "modik"', 'scale = "modik"', "scale 'modik' is not declared"),
    ('id = "month_3"', 'id = "month_1"', 'id = "month_1"\nlabel = "3 months"',
     "visit id 'month_1' is used twice"),
    ('threshold = "height_loss_pct"', 'threshold = "height_loss"', 'threshold = "height_loss"',
     "names threshold 'height_loss'"),
    ('kind = "instability"', 'kind = "instabillity"', 'kind = "instabillity"',
     "unknown rule kind 'instabillity'"),
    ('role = "exclusion"', 'role = "excluded"', 'role = "excluded"',
     "role must be inclusion or exclusion"),
    ('baseline_visit = "baseline"', 'baseline_visit = "screening"', None,
     "baseline_visit 'screening' is not a visit"),
    ('dicom_protocol_ids = ["ChiCTR2200058291"]', 'dicom_protocol_ids = ["ChiCTR", "A\\\\B"]',
     'dicom_protocol_ids = ["ChiCTR", "A\\\\B"]',
     "item 1 ('A\\\\B') is not a (0012,0020) Clinical Trial Protocol ID"),
    ('dicom_protocol_ids = ["ChiCTR2200058291"]', "dicom_protocol_ids = []",
     "dicom_protocol_ids = []", "dicom_protocol_ids lists no id"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "where", "message"), BAD_EDITS)
def test_bad_protocol_files_are_refused_with_line_and_reason(
    tmp_path: Path, old: str, new: str, where: str | None, message: str
) -> None:
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "protocol.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    error = caught.value
    assert message in str(error)
    assert str(error).startswith(f"{path}: line ")
    if where is not None:
        assert error.line == line_of(text, where)


def test_a_missing_protocol_file_is_named() -> None:
    with pytest.raises(ProtocolError, match=r"nowhere\.toml: protocol file not found"):
        load_protocol("nowhere.toml")
