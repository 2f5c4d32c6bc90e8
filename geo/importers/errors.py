"""The one error type of the importers: a file that cannot be read at all."""

from __future__ import annotations


class InputError(Exception):
    """A file that cannot be read at all; ``str()`` is one line naming file, row and field."""

    def __init__(self, file: str, row: int | None, field: str | None, message: str):
        super().__init__(message)
        self.file, self.row, self.field, self.message = file, row, field, message

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field {self.field}")
        parts.append(self.message)
        return ": ".join(parts)
