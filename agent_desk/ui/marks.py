"""The marks a handoff carries wherever it is shown: the sentiment shape, badges, and the words
that explain a trigger or a sentiment reading (tooltips quote the evidence).

Colour never carries meaning alone: a sentiment is a shape (down, level, up) as well as a colour,
a badge holds its number or word, and every mark has a tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPolygonF

from agent_desk.client.handoff_view import MessageView, ReasonView
from agent_desk.client.surface import Handoff
from agent_desk.ui import labels
from agent_desk.ui.text import one_line, safe_text, sentiment_word
from agent_desk.ui.theme import ThemeManager


def reason_tooltip(reason: ReasonView, handoff: Handoff) -> str:
    """Plain text explaining one trigger, quoting its evidence (the message and the score)."""
    trigger = reason.trigger
    lines = [labels.trigger_label(trigger).capitalize()]
    detail = safe_text(reason.detail, 400).strip()
    if detail:
        lines.append(detail)
    score = reason.score
    if score is not None:
        if trigger == "negative_sentiment":
            lines.append(QCoreApplication.translate("Marks", "Sentiment %1").replace("%1", f"{score:+.2f}"))
        elif trigger != "repeated_failure" and 0 <= score <= 1:  # the model's probability
            lines.append(QCoreApplication.translate("Marks", "Confidence %1%").replace("%1", f"{score * 100:.0f}"))
    message = quoted_message(reason, handoff)
    if message is not None:
        quote = one_line(message.text, 240)
        lines.append(f"{labels.role_label(message.role)}: “{quote}”")
    return "\n".join(lines)


def quoted_message(reason: ReasonView, handoff: Handoff) -> MessageView | None:
    """The transcript message a reason points at (its ``message_index``), when there is one."""
    index = reason.message_index
    if index is None:
        return None
    transcript = handoff.transcript
    if index < len(transcript) and transcript[index].index == index:  # the usual case: in its place
        return transcript[index]
    return next((m for m in transcript if m.index == index), None)


def sentiment_tooltip(handoff: Handoff) -> str:
    value = handoff.sentiment
    if value is None:
        return QCoreApplication.translate("Marks", "Sentiment not known")
    word = labels.sentiment_label(sentiment_word(value))
    text = QCoreApplication.translate("Marks", "Sentiment %1 (%2)").replace("%1", f"{value:+.2f}").replace("%2", word)
    trend = handoff.sentiment_trend
    if trend is not None and abs(trend) >= 0.05:
        text += "\n" + (
            QCoreApplication.translate("Marks", "getting worse")
            if trend < 0
            else QCoreApplication.translate("Marks", "getting better")
        )
    return text


def draw_sentiment(painter: QPainter, rect: QRect, value: float | None, themes: ThemeManager) -> None:
    """A small shape: a down triangle (negative), a bar (neutral), an up triangle (positive)."""
    word = sentiment_word(value)
    color = themes.color(
        {"negative": "sentiment_negative", "positive": "sentiment_positive"}.get(word, "sentiment_neutral")
    )
    cx, cy = rect.center().x() + 0.5, rect.center().y() + 0.5
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    if word == "negative":
        size = 4.0 + 2.5 * min(1.0, abs(value or 0.0))
        painter.drawPolygon(
            QPolygonF(
                [
                    QPoint(int(cx - size), int(cy - size / 1.6)),
                    QPoint(int(cx + size), int(cy - size / 1.6)),
                    QPoint(int(cx), int(cy + size / 1.2)),
                ]
            )
        )
    elif word == "positive":
        size = 4.0 + 2.5 * min(1.0, abs(value or 0.0))
        painter.drawPolygon(
            QPolygonF(
                [
                    QPoint(int(cx - size), int(cy + size / 1.6)),
                    QPoint(int(cx + size), int(cy + size / 1.6)),
                    QPoint(int(cx), int(cy - size / 1.2)),
                ]
            )
        )
    elif word == "neutral":
        painter.drawRoundedRect(QRectF(cx - 5, cy - 1.5, 10, 3), 1.5, 1.5)
    else:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(color)
        painter.drawEllipse(QRectF(cx - 3.5, cy - 3.5, 7, 7))
    painter.restore()


def draw_badge(
    painter: QPainter, rect: QRectF, text: str, fill: QColor, ink: QColor, font: QFont, radius: float
) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(fill)
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    painter.drawPath(path)
    painter.setPen(ink)
    painter.setFont(font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()
