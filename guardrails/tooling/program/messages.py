"""What the program says: `pulumi.log` messages kept as `ProgramMessage`s (an SDK warning
with the program line that caused it), and the SDK's noise cleaned from any message users
read."""

from __future__ import annotations

import ast
import logging
import re
import traceback
import typing
from pathlib import Path

from guardrails.tooling.program.record import ProgramMessage
from guardrails.tooling.program.source_map import SourceMapper


class MessageLog(logging.Handler):
    """Keeps what the program logs through `pulumi.log` (the mock engine's logger)."""

    _SEVERITY: typing.ClassVar[dict[int, str]] = {
        logging.INFO: "info",
        logging.WARNING: "warning",
        logging.ERROR: "error",
    }

    def __init__(self, messages: list[ProgramMessage], mapper: SourceMapper) -> None:
        super().__init__(logging.DEBUG)
        self.messages = messages
        self.mapper = mapper

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.INFO:  # the SDK's own chatter; `pulumi up` hides it too
            return
        severity = self._SEVERITY.get(record.levelno, "error")
        text = clean_message(record.getMessage())
        if severity != "info":
            # The SDK's warnings (an Output in an f-string) do not say where: the program's
            # innermost frame on the stack is the line that caused it.
            here = [f for f in traceback.extract_stack() if self.mapper.in_program(f.filename)]
            if here:
                where = Path(self.mapper.original(here[-1].filename))
                values = stringified_values(here[-1].line or "")
                what = f": {', '.join(f'`{v}`' for v in values)}" if values else ""
                text += (
                    f" (at {where.relative_to(self.mapper.program_root)}:{here[-1].lineno}{what})"
                )
        self.messages.append(ProgramMessage("log", severity, text))


_OUTPUT_STR = re.compile(
    r"Calling __str__ on an Output\[T\] is not supported\..*?more details\."
    r"(?:\s*This function may throw in a future version of Pulumi\.)?",
    re.DOTALL,
)
_OBJECT_AT = re.compile(r"<(?:pulumi\.output\.)?(\w+(?:\.\w+)*) object at 0x[0-9a-fA-F]+>")


def stringified_values(line: str) -> list[str]:
    """The expressions a source line turns into strings (the values of its f-strings and of
    `str(...)` calls): what an "Output in an f-string" warning is about. Empty when the line
    is not a whole statement or turns nothing into a string."""
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return []
    values = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue):
            values.append(ast.unparse(node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "str"
            and len(node.args) == 1
        ):
            values.append(ast.unparse(node.args[0]))
    return values


def clean_message(text: str) -> str:
    """Drop `<pulumi.output.Output object at 0x7f...>` noise, and the SDK's many-line text
    for an Output turned into a string, from messages users read."""
    text = _OUTPUT_STR.sub(
        "Calling __str__ on an Output[T] is not supported (read its value inside .apply)", text
    )
    return _OBJECT_AT.sub(lambda m: f"<{m.group(1).rsplit('.', 1)[-1]}>", text)


def stream_messages(stream: str, text: str, severity: str) -> list[ProgramMessage]:
    return [ProgramMessage(stream, severity, line) for line in text.splitlines() if line.strip()]
