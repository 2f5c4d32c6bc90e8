"""The one error type of the importers: a file that cannot be read at all."""

from __future__ import annotations

import re

_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


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
        # One line, always: headers and cells quoted into messages may hold line breaks.
        return _LINE_BREAKS.sub(" ", ": ".join(parts))
