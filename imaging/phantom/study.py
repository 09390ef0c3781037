"""One subject's visit as files: radiographs and MR series in a folder, with its ground truth.

``write_study(study, root)`` writes ``root/<subject>/<visit>/`` with ``DX_lateral_<film>.dcm``,
``MR_sag_<sequence>/IM0001.dcm ...`` and ``ground_truth.json``; every path in the ground truth is
relative to ``root``. Each image draws its randomness from its own stream of the study's seed, so
changing one image's options leaves the others' pixels unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.phantom.mr import MRSetup, RenderedMRSeries, render_mr_series
from imaging.phantom.radiograph import RadiographSetup, RenderedRadiograph, render_radiograph
from imaging.phantom.spec import PhantomSpec
from imaging.phantom.truth import NORMAL_PFIRRMANN, expected_criteria, range_of_motion
from imaging.phantom.writer import (
    SPACING_STYLES,
    TRANSFER_SYNTAXES,
    TrialContext,
    mr_datasets,
    radiograph_dataset,
    save,
)

_STREAMS = {Film.NEUTRAL: 1, Film.FLEXION: 2, Film.EXTENSION: 3, "T2": 11, "T1": 12}


@dataclass(frozen=True)
class FilmOptions:
    """How one lateral film is stored: photometric interpretation, transfer syntax, spacing."""

    film: Film
    transfer_syntax: str = "explicit"
    photometric: str = "MONOCHROME2"
    spacing: str = "imager"

    def __post_init__(self) -> None:
        object.__setattr__(self, "film", Film(self.film))
        if self.transfer_syntax not in TRANSFER_SYNTAXES:
            raise ValueError(f"unknown transfer syntax {self.transfer_syntax!r}")
        if self.spacing not in SPACING_STYLES:
            raise ValueError(f"spacing must be one of {SPACING_STYLES}, got {self.spacing!r}")


@dataclass(frozen=True)
class SeriesOptions:
    """How one sagittal MR series is stored."""

    sequence: str
    transfer_syntax: str = "explicit"

    def __post_init__(self) -> None:
        if self.sequence not in ("T1", "T2"):
            raise ValueError(f"sequence must be T1 or T2, got {self.sequence!r}")
        if self.transfer_syntax not in TRANSFER_SYNTAXES:
            raise ValueError(f"unknown transfer syntax {self.transfer_syntax!r}")


@dataclass(frozen=True)
class StudySpec:
    """Everything needed to write one subject's visit deterministically."""

    context: TrialContext
    phantom: PhantomSpec
    films: tuple[FilmOptions, ...] = tuple(FilmOptions(f) for f in Film)
    series: tuple[SeriesOptions, ...] = (SeriesOptions("T2"), SeriesOptions("T1"))
    radiograph_setup: RadiographSetup = field(default_factory=RadiographSetup)
    mr_setup: MRSetup = field(default_factory=MRSetup)
    days_from_baseline: int = 0

    @property
    def folder(self) -> Path:
        return Path(self.context.subject_id) / self.context.visit


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


def render_study(
    study: StudySpec,
) -> tuple[dict[Film, RenderedRadiograph], dict[str, RenderedMRSeries]]:
    """Render every image of the study (no files written)."""
    seed = study.context.seed
    films = {
        o.film: render_radiograph(
            study.phantom, o.film, study.radiograph_setup, _rng(seed, _STREAMS[o.film])
        )
        for o in study.films
    }
    series = {
        o.sequence: render_mr_series(
            study.phantom, o.sequence, study.mr_setup, _rng(seed, _STREAMS[o.sequence])
        )
        for o in study.series
    }
    return films, series


def write_study(study: StudySpec, root: Path | str) -> dict[str, Any]:
    """Write the study's files under ``root`` and return (and write) its ground truth."""
    root = Path(root)
    folder = root / study.folder
    films, series = render_study(study)
    ctx = study.context
    images: list[dict[str, Any]] = []
    levels_by_film: dict[Film, dict[str, Any]] = {}
    for number, options in enumerate(study.films, start=1):
        rendered = films[options.film]
        ds = radiograph_dataset(
            rendered, ctx, series_number=number, photometric=options.photometric,
            spacing=options.spacing,
        )  # fmt: skip
        path = folder / f"DX_lateral_{options.film.value}.dcm"
        uid = save(ds, path, options.transfer_syntax)
        calibrated = options.spacing != "none"
        entry = _radiograph_truth(rendered, calibrated, normal_discs(study.phantom))
        images.append(
            {
                "file": path.relative_to(root).as_posix(),
                "modality": "DX",
                "film": options.film.value,
                "sop_instance_uid": str(ds.SOPInstanceUID),
                "series_instance_uid": str(ds.SeriesInstanceUID),
                "photometric_interpretation": options.photometric,
                "transfer_syntax": str(uid),
                "transfer_syntax_name": uid.name,
                "bits_stored": rendered.setup.bits_stored,
                "rows": rendered.setup.rows,
                "columns": rendered.setup.columns,
                "imager_pixel_spacing_mm": (
                    [rendered.setup.imager_pixel_spacing_mm] * 2 if calibrated else None
                ),
                "magnification_factor": rendered.setup.magnification if calibrated else None,
                "pixel_spacing_in_header": options.spacing == "imager+pixel",
                **entry,
            }
        )
        levels_by_film[options.film] = entry["levels"]
    for number, series_options in enumerate(study.series, start=len(study.films) + 1):
        rendered_series = series[series_options.sequence]
        datasets = mr_datasets(rendered_series, ctx, series_number=number)
        series_folder = folder / f"MR_sag_{series_options.sequence}"
        for ds in datasets:
            name = series_folder / f"IM{int(ds.InstanceNumber):04d}.dcm"
            uid = save(ds, name, series_options.transfer_syntax)
        images.append(_series_truth(rendered_series, datasets, series_folder, root, uid))
    truth = _study_truth(study, images, levels_by_film)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ground_truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return truth


def _corner_truth(
    corners: dict[Vertebra, dict[Corner, tuple[float, float]]], spacing: tuple[float, float] | None
) -> dict[str, dict[str, dict[str, float | None]]]:
    return {
        v.value: {
            c.value: {
                "row": row,
                "col": col,
                "row_mm": None if spacing is None else row * spacing[0],
                "col_mm": None if spacing is None else col * spacing[1],
            }
            for c, (row, col) in cs.items()
        }
        for v, cs in corners.items()
    }


def normal_discs(spec: PhantomSpec) -> set[DiscLevel]:
    """The discs normal enough to be height-loss references (Pfirrmann 1-2, as the DLBP
    protocol reads them)."""
    return {level for level, disc in spec.discs.items() if disc.pfirrmann in NORMAL_PFIRRMANN}


def _radiograph_truth(
    rendered: RenderedRadiograph, calibrated: bool, normal: set[DiscLevel]
) -> dict[str, Any]:
    spacing = rendered.pixel_spacing_mm if calibrated else None
    measures = rendered.measures(calibrated, normal)
    return {
        "calibration": {
            "source": "magnification-corrected" if calibrated else "none",
            "pixel_spacing_mm": None if spacing is None else list(spacing),
        },
        "window": {"center": rendered.window_center, "width": rendered.window_width},
        "lumbar_lordosis_deg": measures["lumbar_lordosis_deg"],
        "corners": _corner_truth(rendered.corners_px, spacing),
        "levels": measures["levels"],
        "vertebrae": measures["vertebrae"],
    }


def _series_truth(
    series: RenderedMRSeries, datasets: list[Any], folder: Path, root: Path, uid: Any
) -> dict[str, Any]:
    setup = series.setup
    mid = series.mid_slice
    spacing = (setup.pixel_spacing_mm, setup.pixel_spacing_mm)
    return {
        "file": folder.relative_to(root).as_posix(),
        "modality": "MR",
        "sequence": series.sequence,
        "series_instance_uid": str(datasets[0].SeriesInstanceUID),
        "slices": setup.slices,
        "files": [
            f"{folder.relative_to(root).as_posix()}/IM{i + 1:04d}.dcm" for i in range(setup.slices)
        ],
        "photometric_interpretation": "MONOCHROME2",
        "transfer_syntax": str(uid),
        "transfer_syntax_name": uid.name,
        "rows": setup.rows,
        "columns": setup.columns,
        "calibration": {"source": "patient", "pixel_spacing_mm": list(spacing)},
        "slice_thickness_mm": setup.slice_thickness_mm,
        "spacing_between_slices_mm": setup.spacing_between_slices_mm,
        "mid_sagittal_slice_index": mid,
        "mid_sagittal_file": f"{folder.relative_to(root).as_posix()}/IM{mid + 1:04d}.dcm",
        "disc_centres": {
            level.value: {"row": row, "col": col}
            for level, (row, col) in series.disc_centres_px().items()
        },
        "corners": _corner_truth(series.corners_px(), spacing),
    }


def _study_truth(
    study: StudySpec, images: list[dict[str, Any]], levels_by_film: dict[Film, dict[str, Any]]
) -> dict[str, Any]:
    ctx, spec = study.context, study.phantom
    rom: dict[str, Any] = {}
    if Film.FLEXION in levels_by_film and Film.EXTENSION in levels_by_film:
        rom = range_of_motion(levels_by_film[Film.FLEXION], levels_by_film[Film.EXTENSION])
    grades = {
        level.value: {
            "pfirrmann": spec.discs[level].pfirrmann,
            "modic_cranial": spec.discs[level].modic_cranial,
            "modic_caudal": spec.discs[level].modic_caudal,
        }
        for level in spec.landmarked_levels
    }
    expected = (
        expected_criteria(levels_by_film[Film.NEUTRAL], rom, grades)
        if Film.NEUTRAL in levels_by_film
        else {}
    )
    return {
        **ctx.truth_header(study.days_from_baseline),
        "images": images,
        "rom": rom,
        "grades": grades,
        "expected": expected,
        "construction": _construction(spec),
    }


def _construction(spec: PhantomSpec) -> dict[str, Any]:
    """The spec's own numbers (what the phantom was built from), for reference."""
    return {
        "sacral_slope_deg": spec.sacral_slope_deg,
        "discs": {
            level.value: {
                "mean_height_mm": disc.height_mm,
                "neutral_angle_deg": disc.angle_deg,
                "neutral_translation_mm": disc.translation_mm,
                "flexion_angle_change_deg": disc.motion.flexion_angle_deg,
                "extension_angle_change_deg": disc.motion.extension_angle_deg,
                "flexion_translation_change_mm": disc.motion.flexion_translation_mm,
                "extension_translation_change_mm": disc.motion.extension_translation_mm,
            }
            for level, disc in spec.discs.items()
        },
    }
