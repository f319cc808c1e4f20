"""Reading settings: JSON files and frozen dataclasses of knobs, with one-line errors naming the fix."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError


def read_json_object(path, what: str, expected: str) -> dict:
    """The JSON object in `path`; `what` names the file for the user, `expected` says what belongs in it."""
    path = Path(path)
    if not path.is_file():
        raise EdgeDeeplabError(f"{what} {path} does not exist: give a JSON file of {expected}")
    try:
        data = json.loads(path.read_text())
    except ValueError as error:
        raise EdgeDeeplabError(f"{what} {path} is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise EdgeDeeplabError(f"{what} {path} must hold a JSON object of {expected}")
    return data


def from_dict(cls, data: dict, source: str, what: str):
    """cls(**data), refusing unknown keys by name (a typo must not be silently ignored)."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise EdgeDeeplabError(f"{source}: unknown {what}(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return cls(**data)


class Settings:
    """What every frozen dataclass of knobs (DeepLabConfig, TrainConfig) shares: a copy with some knobs
    changed and a JSON round trip that refuses unknown keys. A subclass names its knobs for error
    messages (_OPTION) and the default source it is read from (_SOURCE)."""

    _OPTION = "option"
    _SOURCE = "config"

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict, source: Optional[str] = None):
        return from_dict(cls, data, source or cls._SOURCE, cls._OPTION)
