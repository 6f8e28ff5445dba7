"""The exceptions of modelwatch: every error of ``report`` and ``test`` is a
:class:`ModelwatchError`, with the message the ``modelwatch`` command prints after
``error:``; a refused request of the client is ``modelwatch.client.ApiError``, a
``ModelwatchError`` too."""

from __future__ import annotations

__all__ = ["DataError", "InputError", "ModelwatchError"]


class ModelwatchError(Exception):
    """Base class of every modelwatch error; raised as itself for a failure of the engine
    (an internal error, never a crash of the interpreter)."""


class InputError(ModelwatchError, ValueError):
    """Bad arguments or settings: an unknown column, method, preset or option value, a
    malformed settings or suite file. The message is the command line's, naming the flag
    (``--column-method`` for ``column_method=...``)."""


class DataError(InputError):
    """Data that cannot be read or compared: an unreadable file, an unsupported column
    type, an empty frame, two datasets without a column in common."""
