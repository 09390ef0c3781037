"""DICOM Structured Reports: a read out as a TID 1500 Measurement Report, and back in.

:mod:`imaging.sr.codes` (the codes and the private scheme), :mod:`imaging.sr.build` (a read's
plain values -> an SR dataset), :mod:`imaging.sr.parse` (an SR file -> plain values),
:mod:`imaging.sr.exchange` (the store's current reads out, reports back in as reads).
docs/sr.md says what is encoded where.
"""

from __future__ import annotations

from imaging.errors import SpineEndpointsError


class StructuredReportError(SpineEndpointsError):
    """A structured report cannot be written or read back as asked; the message names the file
    (or the read) and the problem."""


__all__ = ["StructuredReportError"]
