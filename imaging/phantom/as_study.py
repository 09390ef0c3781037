"""One visit of an AS trial subject as files: lateral cervical and lumbar films (mSASSS) and, when
graded at that visit, the AP pelvic film (sacroiliitis), with its ground truth.

``write_as_study(study, root)`` writes ``root/<subject>/<visit>/`` with ``DX_lateral_cervical.dcm``,
``DX_lateral_lumbar.dcm``, ``DX_ap_pelvis.dcm`` and ``ground_truth.json`` (paths relative to
``root``), the same writer and calibration tags as the lumbar phantom: Digital X-Ray Image
Storage - For Presentation, (0018,1164) Imager Pixel Spacing with (0018,1114) Estimated
Radiographic Magnification Factor. Each film draws its randomness from its own stream of the
study's seed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import DigitalXRayImageStorageForPresentation

from imaging.anatomy import MSASSS_SITES, SACROILIAC_JOINTS, msasss_segment
from imaging.phantom.as_pelvis import RenderedPelvisFilm, render_pelvis_film
from imaging.phantom.as_spine import (
    HIDDEN_REASON,
    RenderedSpineFilm,
    SpineScores,
    render_spine_film,
)
from imaging.phantom.as_truth import complete_rigidity, modified_new_york, msasss_totals
from imaging.phantom.radiograph import RadiographSetup
from imaging.phantom.writer import (
    TrialContext,
    base_dataset,
    code_item,
    save,
    set_pixel_module,
)

# view -> (file stem, series description, view position, view code, anatomic region, body part,
# patient orientation (columns, rows))
VIEWS: dict[str, tuple[str, str, str, tuple[str, str], tuple[str, str], str, list[str]]] = {
    "lateral_cervical": ("DX_lateral_cervical", "C-SPINE LAT", "LL",
                         ("399173006", "left lateral"), ("122494005", "Cervical spine"),
                         "CSPINE", ["P", "F"]),
    "lateral_lumbar": ("DX_lateral_lumbar", "L-SPINE LAT", "LL",
                       ("399173006", "left lateral"), ("122496007", "Lumbar spine"),
                       "LSPINE", ["P", "F"]),
    "ap_pelvis": ("DX_ap_pelvis", "PELVIS AP", "AP", ("399348003", "antero-posterior"),
                  ("12921003", "Pelvis"), "PELVIS", ["L", "F"]),
}  # fmt: skip
_STREAMS = {"lateral_cervical": 21, "lateral_lumbar": 22, "ap_pelvis": 23}
SPINE_SETUPS = {
    "lateral_cervical": RadiographSetup(rows=420, columns=320, imager_pixel_spacing_mm=0.5),
    "lateral_lumbar": RadiographSetup(rows=620, columns=380, imager_pixel_spacing_mm=0.5),
    "ap_pelvis": RadiographSetup(rows=560, columns=720, imager_pixel_spacing_mm=0.5),
}
"""Field and pixel size of each view (0.5 mm detector pixels keep the sample files small)."""
AS_TRIAL = {
    "sponsor_name": "UC-MSC in ankylosing spondylitis (synthetic phantom sponsor)",
    "protocol_id": "AS-UCMSC",
    "protocol_name": "UC-MSCs in ankylosing spondylitis: safety and tolerance",
    "site_name": "AS trial (synthetic phantom site)",
}
"""The clinical trial attributes of the AS phantom: its own trial, never the DLBP one."""


@dataclass(frozen=True)
class ASStudySpec:
    """One visit: the corner scores drawn, the joint grades (None: no pelvic film at this
    visit), how each film is stored (transfer syntax by view)."""

    context: TrialContext
    spine: SpineScores
    sacroiliitis: Mapping[str, int] | None = None
    transfer_syntaxes: Mapping[str, str] = field(default_factory=dict)
    days_from_baseline: int = 0

    @property
    def folder(self) -> Path:
        return Path(self.context.subject_id) / self.context.visit

    @property
    def views(self) -> tuple[str, ...]:
        pelvis = ("ap_pelvis",) if self.sacroiliitis is not None else ()
        return ("lateral_cervical", "lateral_lumbar", *pelvis)


def render_as_study(study: ASStudySpec) -> dict[str, RenderedSpineFilm | RenderedPelvisFilm]:
    """Every film of the visit (no files written)."""
    seed = study.context.seed
    films: dict[str, RenderedSpineFilm | RenderedPelvisFilm] = {}
    for view in study.views:
        rng = np.random.default_rng(np.random.SeedSequence([seed, _STREAMS[view]]))
        if view == "ap_pelvis":
            assert study.sacroiliitis is not None
            films[view] = render_pelvis_film(study.sacroiliitis, SPINE_SETUPS[view], rng)
        else:
            segment = view.removeprefix("lateral_")
            films[view] = render_spine_film(segment, study.spine, SPINE_SETUPS[view], rng)
    return films


def film_dataset(
    film: RenderedSpineFilm | RenderedPelvisFilm, view: str, ctx: TrialContext, series: int
) -> Dataset:
    """The DX For Presentation data set of one AS film, calibrated as the lumbar phantom's."""
    _, description, position, view_code, region, body_part, orientation = VIEWS[view]
    setup = film.setup
    ds = base_dataset(ctx, DigitalXRayImageStorageForPresentation, ctx.uid("DX", view), "DX")
    ds.ManufacturerModelName = "synthetic AS phantom"
    ds.StudyDescription = "AS SPINE AND PELVIS"
    ds.BodyPartExamined = body_part
    ds.SeriesInstanceUID = ctx.uid("DX-series", view)
    ds.SeriesNumber = series
    ds.InstanceNumber = 1
    ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = f"0915{10 * series:02d}"
    ds.SeriesDescription = description
    ds.ProtocolName = description
    ds.ImageComments = f"view: {view.replace('_', ' ')}"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.ViewPosition = position
    ds.ViewCodeSequence = [code_item(view_code[0], "SCT", view_code[1])]
    ds.PatientOrientation = orientation
    ds.ImageLaterality = "U"
    ds.AnatomicRegionSequence = [code_item(region[0], "SCT", region[1])]
    ds.KVP = "80"
    ds.DetectorType = "SCINTILLATOR"
    ds.ImagerPixelSpacing = [f"{setup.imager_pixel_spacing_mm:.6g}"] * 2
    ds.DistanceSourceToDetector = f"{setup.source_image_distance_mm:.6g}"
    ds.DistanceSourceToPatient = f"{setup.source_object_distance_mm:.6g}"
    ds.EstimatedRadiographicMagnificationFactor = f"{setup.magnification:.10g}"
    set_pixel_module(ds, film.pixels, setup.bits_stored, "MONOCHROME2")
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = -1
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "0", "1", "US"
    ds.PresentationLUTShape = "IDENTITY"
    ds.WindowCenter = f"{film.window_center:g}"
    ds.WindowWidth = f"{film.window_width:g}"
    ds.LossyImageCompression = "00"
    ds.BurnedInAnnotation = "NO"
    return ds


def write_as_study(study: ASStudySpec, root: Path | str) -> dict[str, Any]:
    """Write the visit's films under ``root``; return (and write) its ground truth."""
    root = Path(root)
    folder = root / study.folder
    ctx = study.context
    images = []
    for number, (view, film) in enumerate(render_as_study(study).items(), start=1):
        ds = film_dataset(film, view, ctx, number)
        path = folder / f"{VIEWS[view][0]}.dcm"
        uid = save(ds, path, study.transfer_syntaxes.get(view, "explicit"))
        entry: dict[str, Any] = {
            "file": path.relative_to(root).as_posix(),
            "modality": "DX",
            "view": view,
            "sop_instance_uid": str(ds.SOPInstanceUID),
            "transfer_syntax": str(uid),
            "rows": int(ds.Rows),
            "columns": int(ds.Columns),
            "calibration": {
                "source": "magnification-corrected",
                "pixel_spacing_mm": list(film.pixel_spacing_mm),
            },
            "window": {"center": film.window_center, "width": film.window_width},
        }
        if isinstance(film, RenderedSpineFilm):
            entry["sites"] = {
                site: {"row": row, "col": col, **_site_truth(study.spine, site)}
                for site, (row, col) in film.sites_px.items()
            }
        else:
            assert study.sacroiliitis is not None
            entry["joints"] = {
                joint: {**{k: {"row": p[0], "col": p[1]} for k, p in points.items()},
                        "grade": study.sacroiliitis[joint]}
                for joint, points in film.joints_px.items()
            }  # fmt: skip
        images.append(entry)
    truth = {
        **ctx.truth_header(study.days_from_baseline),
        "images": images,
        **as_expected(study.spine, study.sacroiliitis),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ground_truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return truth


def readable_scores(spine: SpineScores) -> dict[str, int | None]:
    """What a reader can score: each site's score, None where it is hidden."""
    return {s: None if s in spine.hidden else spine.score(s) for s in MSASSS_SITES}


def as_expected(spine: SpineScores, sacroiliitis: Mapping[str, int] | None) -> dict[str, Any]:
    """The visit's expected scores, totals and verdicts (:mod:`imaging.phantom.as_truth`)."""
    scores = readable_scores(spine)
    expected: dict[str, Any] = {
        "msasss": {
            "scores": scores,
            "not_scorable": {s: HIDDEN_REASON for s in MSASSS_SITES if scores[s] is None},
            **msasss_totals(scores),
        },
        "complete_spinal_rigidity": complete_rigidity(scores),
    }
    if sacroiliitis is not None:
        grades = {joint: sacroiliitis[joint] for joint in SACROILIAC_JOINTS}
        expected["sacroiliitis"] = grades
        expected["modified_new_york"] = modified_new_york(grades)
    return expected


def _site_truth(spine: SpineScores, site: str) -> dict[str, Any]:
    hidden = site in spine.hidden
    return {
        "segment": msasss_segment(site),
        "drawn_score": spine.score(site),
        "score": None if hidden else spine.score(site),
        "not_scorable": HIDDEN_REASON if hidden else None,
    }
