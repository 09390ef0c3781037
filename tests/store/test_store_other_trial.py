"""The store's door refuses another trial's images whoever registers them: the workstation's
"register a folder" (``register_files``) under the DLBP protocol refuses the AS sample films,
naming the file and the (0012,0020) *Clinical Trial Protocol ID*, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from imaging.errors import StoreError
from imaging.protocol import Protocol
from imaging.store.cases import ImageRecord
from imaging.store.schema import Image
from imaging.store.store import ReadStore
from imaging.store.workstation import register_files

ROOT = Path(__file__).resolve().parents[2]
AS_FILM = ROOT / "sample_dicom_as/AS-001/baseline/DX_lateral_lumbar.dcm"
DLBP_FILM = ROOT / "sample_dicom/DLBP-001/baseline/DX_lateral_neutral.dcm"


def test_the_workstation_register_refuses_an_as_film_under_dlbp(
    store: ReadStore, protocol: Protocol
) -> None:
    records = [ImageRecord.from_file(DLBP_FILM), ImageRecord.from_file(AS_FILM)]
    assert [r.trial_protocol_id for r in records] == ["ChiCTR2200058291", "AS-UCMSC"]
    with pytest.raises(StoreError) as caught, store.writing() as db:
        register_files(db, records, protocol, actor="test")
    assert caught.value.path == str(AS_FILM)
    assert caught.value.reason.startswith(
        "other trial: (0012,0020) Clinical Trial Protocol ID is 'AS-UCMSC', and protocol "
        "DLBP-ChiCTR2200058291 reads only images of 'ChiCTR2200058291'"
    )
    with store.reading() as db:
        assert db.scalar(select(func.count()).select_from(Image)) == 0  # not even the DLBP film
    with store.writing() as db:  # the DLBP film alone registers
        assert register_files(db, records[:1], protocol, actor="test") == 1
