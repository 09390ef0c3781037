"""The AS sample archive (``sample_dicom_as/``): one subject of the AS trial at baseline and at
24 months, with its ground truth and a grade form of the true scores.

AS-001: sacroiliitis grade 3 on the left and 2 on the right (meets the modified New York
criteria); mSASSS corners with erosions and squaring (1), syndesmophytes (2) and two bridged discs
(3) at baseline; 24 months later four new syndesmophytes (one of them closing a bridge) and a
further corner bridged. ``T1-upper`` is hidden by the shoulders at both visits and ``C7-lower``
at 24 months: the missing-corner rule fills them with the cervical segment's mean. The AS films
carry their own trial's (0012,0020) Clinical Trial Protocol ID, and live in their own folder so
that the DLBP archive ``sample_dicom/`` stays the DLBP trial's alone.
"""

from __future__ import annotations

import csv
import datetime
import json
from pathlib import Path
from typing import Any

from imaging.anatomy import MSASSS_SITES
from imaging.phantom.as_spine import SpineScores
from imaging.phantom.as_study import AS_TRIAL, ASStudySpec, readable_scores, write_as_study
from imaging.phantom.as_truth import msasss_totals, new_syndesmophytes
from imaging.phantom.writer import GENERATOR_VERSION, TrialContext

AS_SAMPLE_SEED = 20250407
AS_SUBJECT = "AS-001"
READER = "ground-truth"
AS_VISITS: tuple[tuple[str, str, str, int], ...] = (
    ("baseline", "BASELINE", "Baseline", 0),
    ("month_24", "M24", "24 months", 740),
)
"""(protocol visit id, (0012,0050), (0012,0051), days from baseline): the AS protocol's visits."""
_BASELINE_SCORES = {
    "C3-upper": 1, "C4-lower": 2, "C5-upper": 1, "C5-lower": 3, "C6-upper": 3, "C7-upper": 1,
    "T12-lower": 2, "L1-upper": 2, "L1-lower": 1, "L3-upper": 1, "L3-lower": 3, "L4-upper": 3,
    "L5-lower": 1,
}  # fmt: skip
_MONTH_24_CHANGES = {"C3-upper": 2, "C4-lower": 3, "C5-upper": 3, "L1-lower": 2, "L2-upper": 2}
AS_SPINES = {
    "baseline": SpineScores(_BASELINE_SCORES, frozenset({"T1-upper"})),
    "month_24": SpineScores(
        {**_BASELINE_SCORES, **_MONTH_24_CHANGES}, frozenset({"T1-upper", "C7-lower"})
    ),
}
AS_SACROILIITIS = {"SIJ-left": 3, "SIJ-right": 2}
"""Graded at baseline only (the protocol reads the pelvic film at screening)."""
STORAGE = {"lateral_cervical": "rle", "lateral_lumbar": "jpeg-ls", "ap_pelvis": "jpeg-ls"}


def as_sample_studies() -> list[ASStudySpec]:
    """AS-001 at baseline and 24 months."""
    start = datetime.date(2025, 4, 7)
    studies = []
    for index, (visit, time_point, description, days) in enumerate(AS_VISITS):
        context = TrialContext(
            subject_id=AS_SUBJECT,
            visit=visit,
            study_date=start + datetime.timedelta(days=days),
            seed=AS_SAMPLE_SEED + index,
            time_point_id=time_point,
            time_point_description=description,
            patient_sex="M",
            **AS_TRIAL,
        )
        studies.append(
            ASStudySpec(
                context=context,
                spine=AS_SPINES[visit],
                sacroiliitis=AS_SACROILIITIS if visit == "baseline" else None,
                transfer_syntaxes=STORAGE,
                days_from_baseline=days,
            )
        )
    return studies


def write_as_samples(out: Path | str) -> list[dict[str, Any]]:
    """Write the AS sample studies, ``ground_truth.json`` (the index with the subject's expected
    change), ``grades.csv`` (the true scores, grades import format) and ``README.md``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    truths = [write_as_study(study, out) for study in as_sample_studies()]
    scores = {visit: readable_scores(spine) for visit, spine in AS_SPINES.items()}
    totals = {visit: msasss_totals(s)["total"] for visit, s in scores.items()}
    index = {
        "generator_version": GENERATOR_VERSION,
        "seed": AS_SAMPLE_SEED,
        "subjects": {
            AS_SUBJECT: {
                "scenario": __doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else "",
                "msasss_total": totals,
                "msasss_change": totals["month_24"] - totals["baseline"]
                if None not in totals.values()
                else None,
                "new_syndesmophytes": new_syndesmophytes(scores["baseline"], scores["month_24"]),
                "modified_new_york": truths[0]["modified_new_york"],
                "complete_spinal_rigidity": truths[0]["complete_spinal_rigidity"],
            }
        },
        "studies": truths,
    }
    (out / "ground_truth.json").write_text(json.dumps(index, indent=1) + "\n")
    write_as_grades_csv(truths, out / "grades.csv")
    (out / "README.md").write_text(_README.format(version=GENERATOR_VERSION, seed=AS_SAMPLE_SEED))
    return truths


def write_as_grades_csv(truths: list[dict[str, Any]], path: Path) -> None:
    """The true scores as a grade form: a row per joint and corner, a hidden corner without a
    score and the reason in its comment; the rigidity confirmation once per case at baseline."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["subject", "visit", "level", "reader", "sacroiliitis",
                         "sacroiliitis_modality", "msasss", "complete_spinal_rigidity",
                         "comment"])  # fmt: skip
        for truth in truths:
            subject, visit = truth["subject"], truth["visit"]
            for joint, grade in truth.get("sacroiliitis", {}).items():
                writer.writerow([subject, visit, joint, READER, grade, "xray", "", "", ""])
            msasss = truth["msasss"]
            for site in MSASSS_SITES:
                score = msasss["scores"][site]
                reason = msasss["not_scorable"].get(site, "")
                writer.writerow([subject, visit, site, READER, "", "",
                                 "" if score is None else score, "", reason])  # fmt: skip
            if "sacroiliitis" in truth:
                rigid = "yes" if truth["complete_spinal_rigidity"] else "no"
                writer.writerow([subject, visit, "spine", READER, "", "", "", rigid, ""])


_README = """\
# AS sample studies (synthetic phantoms with ground truth)

One subject of the ankylosing spondylitis trial (protocol `as-ucmsc`, (0012,0020) `AS-UCMSC`) at
baseline and at 24 months: lateral cervical and lumbar films scored by mSASSS, and at baseline the
AP pelvic film graded for sacroiliitis (modified New York). **No patient data**: every image is
rendered by `imaging.phantom` from chosen scores; every expected value comes from those scores.
Kept apart from `sample_dicom/` (the DLBP trial's archive), so each archive holds one trial.

Regenerate (deterministic; generator version {version}, seed {seed}):

```sh
spine-endpoints phantom --as-samples --out sample_dicom_as    # or: python scripts/make_samples.py
```

## Layout

```
sample_dicom_as/
  README.md           this file (written by the generator)
  ground_truth.json   index: both studies' truth, the subject's mSASSS totals, change, new
                      syndesmophytes, modified New York verdict and spinal rigidity
  grades.csv          the true scores in the grades import format (a hidden corner: no score,
                      the reason in the comment)
  AS-001/baseline/    DX_lateral_cervical.dcm  DX_lateral_lumbar.dcm  DX_ap_pelvis.dcm
  AS-001/month_24/    DX_lateral_cervical.dcm  DX_lateral_lumbar.dcm
```

## Conventions

- Each film's truth lists its sites: a corner's (row, col) pixel (the anterior corner of the
  body, pixel centres at integers), its segment, the score drawn and the score a reader can give
  (null with the reason when hidden); a joint's centre and ends on the pelvic film with its grade.
- Scores drawn (Creemers 2005): 0 a normal corner; 1 an erosion with a sclerotic rim (squaring);
  2 a syndesmophyte across about half the disc; 3 a bridge joining the disc's two corners (both
  score 3). Sacroiliitis 0-4 (van der Linden 1984): 0 normal; 1 faint sclerosis; 2 small erosions
  and sclerosis; 3 erosions on both sides, widening, partial bridges; 4 ankylosis.
- Totals follow the AS protocol's rule: a segment lacking at most 3 corners gets its scorable
  corners' mean for each; more missing, the total is missing. A new syndesmophyte is a corner
  below 2 at baseline and 2 or 3 at 24 months, both visits scorable.
- Films: Digital X-Ray For Presentation, MONOCHROME2, (0018,1164) Imager Pixel Spacing 0.5 mm
  with (0018,1114) Estimated Radiographic Magnification Factor 1.15 (`magnification-corrected`);
  lateral films show anterior to the left ((0020,0020) `P\\\\F`), the pelvic film the patient's
  right on the left (`L\\\\F`).
"""
