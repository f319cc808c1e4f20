"""Reading settings: JSON files and frozen dataclasses of knobs, with one-line errors naming the fix."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError


def read_json_object(path, what: str, expected: str, fix: Optional[str] = None) -> dict:
    """The JSON object in a file: every JSON file the package reads back comes through here (ultralytics'
    checked settings reader), so a missing or damaged one is a one-line EdgeDeeplabError.

    Args:
        path: the JSON file.
        what: names the file for the user, e.g. "training run".
        expected: what belongs in it, e.g. "'model' and 'train' sections".
        fix: what to do about a damaged file, ending its message (default: none beyond `expected`).

    Returns:
        The object, as a dict.
    """
    path = Path(path)
    if not path.is_file():
        raise EdgeDeeplabError(f"{what} {path} does not exist: give a JSON file of {expected}")
    ending = f"; {fix}" if fix else ""
    try:
        data = json.loads(path.read_text())
    except ValueError as error:  # UnicodeDecodeError too
        raise EdgeDeeplabError(f"{what} {path} is not valid JSON ({error}){ending}") from None
    if not isinstance(data, dict):
        raise EdgeDeeplabError(f"{what} {path} must hold a JSON object of {expected}{ending}")
    return data


def from_dict(cls, data: dict, source: str, what: str):
    """cls(**data), refusing unknown keys by name (a typo must not be silently ignored) and values of the
    wrong type by name (a string where a number belongs); errors name `source` (a file, or "options")."""
    if not isinstance(data, dict):
        raise EdgeDeeplabError(f"{source}: the {what}s must be a JSON object of name: value, not {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise EdgeDeeplabError(f"{source}: unknown {what}(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    hints = typing.get_type_hints(cls)
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for name, value in data.items():
        if not _fits(value, hints[name]):
            example = "" if defaults[name] is dataclasses.MISSING else f", e.g. {json.dumps(defaults[name])}"
            raise EdgeDeeplabError(
                f"{source}: {what} {name} is {json.dumps(value)}, not {_describe(hints[name])}; "
                f"give {_describe(hints[name])}{example}"
            )
    try:
        return cls(**data)
    except EdgeDeeplabError as error:
        if source == "options" or str(error).startswith(source):
            raise
        raise EdgeDeeplabError(f"{source}: {error}") from None


def _fits(value, hint) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        return any(_fits(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin in (tuple, list):
        item = args[0] if args else typing.Any
        return isinstance(value, (tuple, list)) and all(_fits(v, item) for v in value)
    return True


def _describe(hint) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        return " or ".join(_describe(arg) for arg in args)
    if hint is type(None):
        return "null"
    if origin in (tuple, list):
        return f"a list of {_describe(args[0]).replace('a number', 'numbers').replace('an integer', 'integers')}"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(hint, str(hint))


class Settings:
    """What every frozen dataclass of knobs (DeepLabConfig, TrainConfig) shares: a copy with some knobs
    changed and a JSON round trip that refuses unknown keys. A subclass names its knobs for error
    messages (_OPTION) and the default source it is read from (_SOURCE)."""

    _OPTION = "option"
    _SOURCE = "config"

    def replace(self, **changes):
        """A copy with some knobs changed (checked again on creation).

        Args:
            changes: knob name -> new value.
        """
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The knobs as a plain dict."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """The knobs as indented JSON, keys sorted."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict, source: Optional[str] = None):
        """The settings from a dict, refusing unknown keys and values of the wrong type by name.

        Args:
            data: knob name -> value (e.g. a JSON file's object).
            source: names the data in error messages (default: the class's config name).
        """
        return from_dict(cls, data, source or cls._SOURCE, cls._OPTION)
