"""Errors the command line turns into exit code 2 with a one-line explanation."""

from __future__ import annotations


class GuardrailsError(Exception):
    """A problem the user can fix: bad input, missing file, invalid config.

    The message is shown as is, without a traceback.
    """


class ProgramError(GuardrailsError):
    """The Pulumi program raised while it ran under the mock runtime."""

    def __init__(
        self,
        message: str,
        *,
        exc_type: str,
        location: str | None,
        traceback_text: str,
    ) -> None:
        super().__init__(message)
        self.exc_type = exc_type
        self.location = location
        self.traceback_text = traceback_text
