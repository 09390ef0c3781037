"""Drawn examples of each score, beside its definition: an anterior vertebral corner at mSASSS 0-3
(Creemers 2005) and a sacroiliac joint at modified New York grades 0-4 (van der Linden 1984).

Schematic, as in the scoring atlases: bone light on a dark film, anterior to the left.
"""

from __future__ import annotations

from qtpy.QtCore import QPointF, QRectF, Qt
from qtpy.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap

SIZE = (72, 56)
_BONE, _FILM, _NEW = QColor(225, 225, 215), QColor(40, 40, 40), QColor(255, 200, 60)


def example(site_kind: str, code: str) -> QPixmap | None:
    """The drawn example of ``code`` on a ``corner`` or ``joint`` scale (None for others)."""
    if site_kind == "corner" and code in "0123":
        return _corner(int(code))
    if site_kind == "joint" and code in "01234":
        return _joint(int(code))
    return None


def _canvas() -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(*SIZE)
    pixmap.fill(_FILM)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


def _corner(score: int) -> QPixmap:
    """Two vertebral bodies with their disc; the upper body's anterior-inferior corner scored."""
    pixmap, p = _canvas()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(_BONE)
    p.drawRoundedRect(QRectF(14, 2, 52, 22), 4, 4)  # upper body
    p.drawRoundedRect(QRectF(14, 34, 52, 20), 4, 4)  # lower body
    if score == 1:  # erosion with sclerosis: a bite out of the corner, its rim dense
        p.setBrush(_FILM)
        p.drawEllipse(QPointF(14, 24), 6, 6)
        p.setPen(QPen(_NEW, 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(QRectF(8, 18, 12, 12), 0 * 16, 90 * 16)
    elif score in (2, 3):
        path = QPainterPath(QPointF(15, 20))
        end = QPointF(12, 30) if score == 2 else QPointF(15, 38)
        path.quadTo(QPointF(8, 28 if score == 2 else 29), end)
        p.setPen(QPen(_NEW, 3, cap=Qt.PenCapStyle.RoundCap))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
    p.end()
    return pixmap


def _joint(grade: int) -> QPixmap:
    """Sacrum (left) and ilium (right) either side of the joint space."""
    pixmap, p = _canvas()
    width = {0: 5, 1: 5, 2: 5, 3: 9, 4: 0}[grade]
    middle = 36
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(_BONE)
    p.drawRect(QRectF(4, 2, middle - width / 2 - 4, 52))
    p.drawRect(QRectF(middle + width / 2, 2, 68 - middle - width / 2, 52))
    if grade in (1, 2, 3):  # subchondral sclerosis beside the joint
        p.setBrush(_NEW if grade > 1 else QColor(245, 235, 190))
        band = {1: 2, 2: 3, 3: 5}[grade]
        p.drawRect(QRectF(middle + width / 2, 2, band, 52))
        if grade == 3:
            p.drawRect(QRectF(middle - width / 2 - band, 2, band, 52))
    if grade in (2, 3):  # erosions into the margins
        p.setBrush(_FILM)
        for y in (14, 34) if grade == 2 else (8, 20, 31, 44):
            p.drawEllipse(QPointF(middle + width / 2, y), 2.5, 2.5)
            if grade == 3:
                p.drawEllipse(QPointF(middle - width / 2, y + 5), 2.5, 2.5)
    if grade == 3:  # a partial bony bridge
        p.setBrush(_BONE)
        p.drawRect(QRectF(middle - width / 2, 25, width, 4))
    if grade == 4:  # ankylosis: a faint remnant line only
        p.setPen(QPen(QColor(200, 200, 190), 1, Qt.PenStyle.DotLine))
        p.drawLine(QPointF(middle, 2), QPointF(middle, 54))
    p.end()
    return pixmap
