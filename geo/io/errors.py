"""What is wrong with a user's data: a problem names the row and column; an error lists every problem.

A problem's ``reason`` is a :class:`~geo.locale.Msg`, a code (``why.*``) and its parameters:
its words are chosen where it is shown, by :meth:`Problem.text` / :meth:`DataError.text` in the
page's or the command's language. ``str()`` of either is the English text (logs, tracebacks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geo.locale import Msg, say, text

__all__ = ["DataError", "ImportProblem", "Msg", "Problem", "warning_lines"]


@dataclass(frozen=True)
class Problem:
    """One bad cell or row: where it is and why (``reason``: a :class:`Msg`)."""

    row: int | None
    column: str | None
    value: str
    reason: Msg | str

    def where(self, lang: str = "en") -> str:
        """``row 3, column lon`` / ``第 3 行，“lon”列`` ('' when neither is known)."""
        parts = []
        if self.row is not None:
            parts.append(text("why.at_row", lang, row=self.row))
        if self.column:
            parts.append(text("why.at_column", lang, column=self.column))
        return text("why.sep", lang).join(parts)

    def why(self, lang: str = "en") -> str:
        """The reason in ``lang``."""
        return say(self.reason, lang)

    def text(self, lang: str = "en", path: str | Path | None = None) -> str:
        """``c.csv, row 3, column lon: empty longitude (value 'x')`` in ``lang``."""
        where = self.where(lang) or (text("why.at_file", lang) if path is not None else "")
        head = text("why.sep", lang).join(p for p in (Path(path).name if path is not None else "", where) if p)
        value = text("why.value", lang, value=self.value) if self.value not in ("", None) else ""
        return text("why.error", lang, head=head, reason=self.why(lang), value=value, more="") if head \
            else self.why(lang) + value


class DataError(ValueError):
    """A layer failed validation. ``problems`` lists every problem found."""

    def __init__(self, path: str | Path | None, problems: list[Problem] | Msg | str,
                 warnings: tuple[str, ...] = ()):
        self.warnings = tuple(warnings)
        """The importer's warnings on the refused file, one line each (shown before the error)."""
        if isinstance(problems, (str, Msg)):
            problems = [Problem(None, None, "", problems)]
        self.path = str(path) if path is not None else "<data>"
        self.problems = problems
        super().__init__(self.text("en"))

    @property
    def code(self) -> str:
        """The first problem's code (``why.*``; '' for a reason still worded as a sentence)."""
        reason = self.problems[0].reason
        return reason.code if isinstance(reason, Msg) else ""

    def text(self, lang: str = "en") -> str:
        """One line in ``lang``: the file, where, why, the value, how many more problems."""
        first = self.problems[0]
        where = first.where(lang)
        value = text("why.value", lang, value=first.value) if first.value not in ("", None) else ""
        more = text("why.more", lang, n=len(self.problems) - 1) if len(self.problems) > 1 else ""
        named = Path(self.path).name if self.path != "<data>" else ""
        head = text("why.sep", lang).join(p for p in (named, where) if p)
        if not head:  # data with no file (a table in memory) and no row: the reason alone
            return first.why(lang) + value + more
        return text("why.error", lang, head=head, reason=first.why(lang), value=value, more=more)


@dataclass(frozen=True)
class ImportProblem(Problem):
    """A :class:`Problem` plus the canonical field it concerns and its level.

    ``row`` is the row number a spreadsheet shows (header = its row, usually 1) or, for
    GeoJSON/GeoPackage, the feature number (1 = first); ``column`` is the header as written
    in the file; ``level`` is ``"error"`` (the row is not imported) or ``"warning"``.
    """

    field: str = ""
    level: str = "error"


def warning_lines(path: str | Path, warnings: list[Problem], lang: str = "en") -> list[str]:
    """An importer's warnings as one line each, naming the file and the row: 'c.csv, row 3: … (value 'x')'."""
    return [w.text(lang, path) for w in warnings]
