"""File > Open Sample: the bundled synthetic studies of ``sample_dicom/``.

The samples are found at ``$SPINE_ENDPOINTS_SAMPLES``, else in ``sample_dicom/`` of the source
tree the package was installed from (an editable install), else in ``sample_dicom/`` of the
current folder. The default study is DLBP-001 at baseline: L4-L5 degenerated with height loss,
the subject who meets the trial's imaging entry criteria.
"""

from __future__ import annotations

import os
from pathlib import Path

from imaging.errors import SpineEndpointsError
from napari_spine_endpoints._layers import LayerData
from napari_spine_endpoints._reader import read_dicom

SAMPLES_ENV_VAR = "SPINE_ENDPOINTS_SAMPLES"
DEFAULT_SUBJECT = "DLBP-001"
DEFAULT_VISIT = "baseline"


class SampleDataMissingError(SpineEndpointsError):
    """The sample studies are not where the plugin looks for them."""


def samples_folder() -> Path:
    """The ``sample_dicom`` folder, or SampleDataMissingError saying where it looked."""
    candidates = []
    if os.environ.get(SAMPLES_ENV_VAR):
        candidates.append(Path(os.environ[SAMPLES_ENV_VAR]))
    candidates += [parent / "sample_dicom" for parent in Path(__file__).resolve().parents]
    candidates.append(Path.cwd() / "sample_dicom")
    for candidate in candidates:
        if (candidate / DEFAULT_SUBJECT).is_dir():
            return candidate
    raise SampleDataMissingError(
        "the sample studies (sample_dicom/) were not found; looked in "
        + ", ".join(str(c) for c in dict.fromkeys(candidates)),
        fix=f"Set {SAMPLES_ENV_VAR} to the sample_dicom folder of a spine-endpoints checkout, "
        "or regenerate it with `spine-endpoints phantom --samples --out sample_dicom`.",
    )


def study_folder(subject: str = DEFAULT_SUBJECT, visit: str = DEFAULT_VISIT) -> Path:
    """``sample_dicom/<subject>/<visit>``."""
    folder = samples_folder() / subject / visit
    if not folder.is_dir():
        raise SampleDataMissingError(
            f"no sample study {subject} {visit}",
            path=folder,
            fix="Pick a subject and visit listed in sample_dicom/README.md.",
        )
    return folder


def _films(*names: str) -> list[LayerData]:
    folder = study_folder()
    layers = read_dicom([str(folder / f"DX_lateral_{name}.dcm") for name in names])
    for _, kwargs, _ in layers:
        kwargs["visible"] = True
    return layers


def neutral_film() -> list[LayerData]:
    """DLBP-001 baseline, lateral neutral film."""
    return _films("neutral")


def dynamic_films() -> list[LayerData]:
    """DLBP-001 baseline, flexion and extension films."""
    return _films("flexion", "extension")


def sagittal_t2() -> list[LayerData]:
    """DLBP-001 baseline, sagittal T2 series (opens on the mid-sagittal slice)."""
    return read_dicom(str(study_folder() / "MR_sag_T2"))


def whole_study() -> list[LayerData]:
    """DLBP-001 baseline: the three films and both MR series."""
    return read_dicom(str(study_folder()))
