"""Is this path DICOM? The reader's names for the one sniffer, :mod:`imaging.dicom.sniff`.

``is_ours`` is True for a DICOM image file the loaders read, or a folder holding DICOM; it never
raises, so other plugins get what is not ours.
"""

from imaging.dicom.sniff import (
    MAX_FILES_TO_SNIFF,
    folder_has_dicom,
    is_dicom_file,
    is_image_file,
)
from imaging.dicom.sniff import opens_as_dicom as is_ours
from imaging.dicom.walk import candidate_files

__all__ = [
    "MAX_FILES_TO_SNIFF",
    "candidate_files",
    "folder_has_dicom",
    "is_dicom_file",
    "is_image_file",
    "is_ours",
]
