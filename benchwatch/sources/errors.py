"""The errors a source raises: reading failed, or the payload does not have the expected shape.

Their own module so that the HTTP client (``http.py``) and the interface
(``base.py``) both raise them without importing each other.
"""

from __future__ import annotations


class SourceError(RuntimeError):
    """A source could not be read; the message names the source and the location."""


class ParseError(SourceError):
    """The payload does not have the shape the parser expects.

    The message names the source, the file or URL, and where it can the column
    and the row, so an operator can find the offending bytes.
    """

    def __init__(
        self,
        source: str,
        location: str,
        problem: str,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        where = location
        if column is not None:
            where += f", column {column!r}"
        if row is not None:
            where += f", row {row}"
        super().__init__(f"{source}: {where}: {problem}")
        self.source, self.location, self.column, self.row = source, location, column, row
        self.problem = problem
