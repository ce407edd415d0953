"""``verify_command`` as the words of a command line: a list as given, a string split as a shell would."""
from __future__ import annotations

import shlex


def command_words(value: object) -> tuple[str, ...] | None:
    """The command's words; None when ``value`` is neither a string nor a list of strings, names
    no program, or is a string with an unclosed quote."""
    if isinstance(value, str):
        try:
            words: list[str] | tuple[str, ...] = shlex.split(value)
        except ValueError:  # No closing quotation
            return None
    elif isinstance(value, (list, tuple)) and all(isinstance(word, str) for word in value):
        words = value
    else:
        return None
    return tuple(words) if words and words[0].strip() else None
