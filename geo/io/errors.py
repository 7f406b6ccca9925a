"""What is wrong with a user's data: a problem names the row and column; an error lists every problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One bad cell or row: where it is and why."""

    row: int | None
    column: str | None
    value: str
    reason: str

    def where(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


class DataError(ValueError):
    """A layer failed validation. ``problems`` lists every problem found."""

    def __init__(self, path: str | Path | None, problems: list[Problem] | str, warnings: tuple[str, ...] = ()):
        self.warnings = tuple(warnings)
        """The importer's warnings on the refused file, one line each (shown before the error)."""
        if isinstance(problems, str):
            problems = [Problem(None, None, "", problems)]
        self.path = str(path) if path is not None else "<data>"
        self.problems = problems
        first = problems[0]
        where = first.where()
        value = f" (value {first.value!r})" if first.value not in ("", None) else ""
        more = f" [and {len(problems) - 1} more problem(s)]" if len(problems) > 1 else ""
        super().__init__(f"{Path(self.path).name}{', ' + where if where else ''}: "
                         f"{first.reason}{value}{more}")


@dataclass(frozen=True)
class ImportProblem(Problem):
    """A :class:`Problem` plus the canonical field it concerns and its level.

    ``row`` is the row number a spreadsheet shows (header = its row, usually 1) or, for
    GeoJSON/GeoPackage, the feature number (1 = first); ``column`` is the header as written
    in the file; ``level`` is ``"error"`` (the row is not imported) or ``"warning"``.
    """

    field: str = ""
    level: str = "error"


def warning_lines(path: str | Path, warnings: list[Problem]) -> list[str]:
    """An importer's warnings as one line each, naming the file and the row: 'c.csv, row 3: … (value 'x')'."""
    return [f"{Path(path).name}, {w.where() or 'file'}: {w.reason}" + (f" (value {w.value!r})" if w.value else "")
            for w in warnings]
