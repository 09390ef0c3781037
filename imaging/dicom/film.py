"""Which dynamic film a radiograph is (neutral, flexion, extension), from what the header says.

Sources, most specific first: code meanings of (0054,0222) *View Modifier Code Sequence* and
(0054,0220) *View Code Sequence*, then the text of (0008,103E) *Series Description*,
(0020,4000) *Image Comments*, (0018,1400) *Acquisition Device Processing Description*,
(0018,1030) *Protocol Name* and (0008,1030) *Study Description*. A source naming exactly one film
decides; one naming several ("FLEX/EXT" in a study description) is skipped as ambiguous. Words
are matched whole: flexion/flex/flexed, extension/ext/extended, neutral/neut (and hyper- forms).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydicom.dataset import Dataset

from imaging.anatomy import Film
from imaging.dicom.trial import text_value

_PATTERNS = {
    Film.FLEXION: re.compile(r"\b(?:hyper)?flex(?:ion|ed)?\b"),
    Film.EXTENSION: re.compile(r"\b(?:hyper)?ext(?:ension|ended)?\b"),
    Film.NEUTRAL: re.compile(r"\bneut(?:ral)?\b"),
}
_TEXT_SOURCES = (
    ("SeriesDescription", "Series Description"),
    ("ImageComments", "Image Comments"),
    ("AcquisitionDeviceProcessingDescription", "Acquisition Device Processing Description"),
    ("ProtocolName", "Protocol Name"),
    ("StudyDescription", "Study Description"),
)


def films_named(text: str) -> set[Film]:
    """The films a piece of text names (whole words, any case, any punctuation)."""
    words = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return {film for film, pattern in _PATTERNS.items() if pattern.search(words)}


def detect_film(dataset: Dataset) -> tuple[Film | None, str]:
    """(film, where it was read) from the header, or (None, why not)."""
    ambiguous: list[str] = []
    for label, text in _sources(dataset):
        films = films_named(text)
        if len(films) == 1:
            return films.pop(), f"{label} {text!r}"
        if films:
            ambiguous.append(f"{label} {text!r}")
    if ambiguous:
        return None, "ambiguous: " + "; ".join(ambiguous) + " name more than one film"
    return None, "the header does not say which film this is"


def _sources(dataset: Dataset) -> Iterator[tuple[str, str]]:
    for item in dataset.get("ViewCodeSequence") or []:
        for modifier in item.get("ViewModifierCodeSequence") or []:
            if meaning := text_value(modifier, "CodeMeaning"):
                yield "View Modifier Code Sequence", meaning
    for modifier in dataset.get("ViewModifierCodeSequence") or []:
        if meaning := text_value(modifier, "CodeMeaning"):
            yield "View Modifier Code Sequence", meaning
    for item in dataset.get("ViewCodeSequence") or []:
        if meaning := text_value(item, "CodeMeaning"):
            yield "View Code Sequence", meaning
    for keyword, label in _TEXT_SOURCES:
        if text := text_value(dataset, keyword):
            yield label, text
