"""Synthetic lumbar spine phantoms with exact ground truth (radiographs and sagittal MR).

Rendering is separate from DICOM writing, so benchmarks can render many random phantoms in memory::

    rng = np.random.default_rng(7)
    spec = PhantomSpec.random(rng)
    film = render_radiograph(spec, "flexion", RadiographSetup.random(rng), rng)
    film.pixels, film.corners_px, film.measures()

``write_study`` writes one subject's visit as DICOM plus ``ground_truth.json``; ``write_samples``
regenerates the committed ``sample_dicom/``. The AS trial's films (lateral cervical and lumbar
with chosen mSASSS corner scores, the AP pelvis with sacroiliitis grades) are in ``as_spine``,
``as_pelvis`` and ``as_study``; ``as_samples.write_as_samples`` regenerates ``sample_dicom_as/``.
Geometry is in patient mm (rows caudal, columns posterior); image coordinates are (row, col)
pixels with pixel centres at integers.
"""

from imaging.phantom.construction import SpinePose, build_pose
from imaging.phantom.mr import MRSetup, RenderedMRSeries, render_mr_series
from imaging.phantom.presets import PRESETS, degenerated, height_for_loss, single_study, unstable
from imaging.phantom.radiograph import RadiographSetup, RenderedRadiograph, render_radiograph
from imaging.phantom.samples import sample_studies, write_samples
from imaging.phantom.spec import (
    MODIC_TYPES,
    DiscSpec,
    PhantomSpec,
    SegmentMotion,
    VertebraShape,
)
from imaging.phantom.study import FilmOptions, SeriesOptions, StudySpec, render_study, write_study
from imaging.phantom.truth import level_measures, range_of_motion, vertebra_heights
from imaging.phantom.writer import GENERATOR_VERSION, TrialContext

__all__ = [
    "GENERATOR_VERSION",
    "MODIC_TYPES",
    "PRESETS",
    "DiscSpec",
    "FilmOptions",
    "MRSetup",
    "PhantomSpec",
    "RadiographSetup",
    "RenderedMRSeries",
    "RenderedRadiograph",
    "SegmentMotion",
    "SeriesOptions",
    "SpinePose",
    "StudySpec",
    "TrialContext",
    "VertebraShape",
    "build_pose",
    "degenerated",
    "height_for_loss",
    "level_measures",
    "range_of_motion",
    "render_mr_series",
    "render_radiograph",
    "render_study",
    "sample_studies",
    "single_study",
    "unstable",
    "vertebra_heights",
    "write_samples",
    "write_study",
]
