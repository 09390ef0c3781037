"""Fixtures of the plugin tests: the DLBP-001 baseline sample study, its truth, a fresh store;
the AS sample subject and a fresh store under the AS protocol."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from imaging.phantom.as_samples import write_as_samples

REPO_SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
SUBJECT, VISIT = "DLBP-001", "baseline"
REPO_AS_SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom_as"


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed ``sample_dicom/``; generated (DLBP-001 baseline only) when not there yet."""
    if (REPO_SAMPLES / SUBJECT / VISIT / "ground_truth.json").is_file():
        return REPO_SAMPLES
    from imaging.phantom import sample_studies, write_study

    root = tmp_path_factory.mktemp("sample_dicom")
    study = next(s for s in sample_studies() if str(s.folder) == f"{SUBJECT}/{VISIT}")
    write_study(study, root)
    return root


@pytest.fixture(scope="session")
def study(sample_root: Path) -> Path:
    return sample_root / SUBJECT / VISIT


@pytest.fixture(scope="session")
def truth(study: Path) -> dict[str, Any]:
    """The study's ground truth (corners per film, grades, measures); its ``grades`` include
    the findings the reader records at baseline (the sample's scenario, not in the images)."""
    from imaging.phantom.samples import FINDINGS

    data = dict(json.loads((study / "ground_truth.json").read_text()))
    grades = {level: dict(items) for level, items in data["grades"].items()}
    for level, findings in FINDINGS[SUBJECT].items():
        grades.setdefault(level, {}).update(findings)
    return {**data, "grades": grades}


@pytest.fixture
def workstation_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sample_root: Path) -> str:
    """A fresh store, a reader id and the samples for the plugin; returns the store URL."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("SPINE_ENDPOINTS_STORE", url)
    monkeypatch.setenv("SPINE_ENDPOINTS_READER", "reader-a")
    monkeypatch.setenv("SPINE_ENDPOINTS_SAMPLES", str(sample_root))
    monkeypatch.delenv("SPINE_ENDPOINTS_PROTOCOL", raising=False)
    return url


@pytest.fixture(scope="module")
def as_samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if (REPO_AS_SAMPLES / "ground_truth.json").is_file():
        return REPO_AS_SAMPLES
    out = tmp_path_factory.mktemp("sample_dicom_as")
    write_as_samples(out)
    return out


@pytest.fixture
def as_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("SPINE_ENDPOINTS_STORE", url)
    monkeypatch.setenv("SPINE_ENDPOINTS_READER", "reader-a")
    monkeypatch.setenv("SPINE_ENDPOINTS_PROTOCOL", "as-ucmsc")
    return url
