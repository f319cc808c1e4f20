"""What each pipeline stage hands to the next and to the report: one dataclass per stage.

stages.json stores them as plain dicts (`to_record`); a record of another shape (an older version of
this file) reads back as None, so that the stage runs again instead of failing later.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from edge_deeplab.converters.export import ExportResult


@dataclasses.dataclass(frozen=True)
class StageResult:
    """What every stage's result shares: how long it took, and its round trip through stages.json.

    Args:
        seconds: how long the stage took when it ran (None when it was skipped).
    """

    seconds: Optional[float] = None  # how long the stage took when it ran (not when it was skipped)

    def to_record(self) -> dict:
        """The result as the plain dict stages.json stores."""
        return dataclasses.asdict(self)

    @classmethod
    def from_record(cls, record: dict):
        """The result from its stages.json record; None for a record of another shape (an older version), so
        that the stage runs again.

        Args:
            record: the stored dict.
        """
        try:
            return cls(**record)
        except TypeError:
            return None

    def files(self) -> list:
        """The files whose disappearance makes the stage run again."""
        return []


@dataclasses.dataclass(frozen=True)
class Trained(StageResult):
    """The training stage's result (or the trained model taken as it is).

    Args:
        seconds: how long the stage took when it ran.
        model: the best model folder.
        history: its history.json, when the run that made it left one.
    """

    model: str = ""  # the best model folder
    history: Optional[str] = None  # its history.json, when the run that made it left one

    def files(self) -> list:
        return [Path(self.model) / "weights.h5"]


@dataclasses.dataclass(frozen=True)
class Exported(StageResult):
    """The export stage's result.

    Args:
        seconds: how long the stage took when it ran.
        exports: the ExportResult of each format, in the order asked.
    """

    exports: tuple = ()  # ExportResult, one per format, in the order asked

    @classmethod
    def from_record(cls, record: dict):
        try:
            return cls(seconds=record.get("seconds"), exports=tuple(ExportResult(**e) for e in record["exports"]))
        except (KeyError, TypeError):
            return None

    def tflites(self) -> dict:
        """format -> .tflite path."""
        return {e.format: e.path for e in self.exports}

    def files(self) -> list:
        return [e.path for e in self.exports]


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A model the pipeline evaluates: its name in the report, its file, and how the evaluator is told of it."""

    name: str  # "keras", a format ("int8"), or "peer:NAME"
    path: str
    spec: str  # the path, or "peer:NAME" for a published peer (the evaluator knows its contract)


@dataclasses.dataclass(frozen=True)
class Evaluated(StageResult):
    """The evaluation stage's result.

    Args:
        seconds: how long the stage took when it ran.
        json: the evaluation's JSON file.
        html: its HTML page.
        overlays: overlays.json, the best, worst and differing photos saved as files.
        candidates: the Candidates, in the order they were evaluated.
    """

    json: str = ""
    html: str = ""
    overlays: str = ""
    candidates: tuple = ()  # Candidate, in the order they were evaluated

    @classmethod
    def from_record(cls, record: dict):
        try:
            return cls(**{**record, "candidates": tuple(Candidate(**c) for c in record["candidates"])})
        except (KeyError, TypeError):
            return None

    def name_of(self, path) -> Optional[str]:
        """The name a model file has in the evaluation, or None.

        Args:
            path: the model's path.
        """
        return next((c.name for c in self.candidates if Path(c.path) == Path(path)), None)

    def files(self) -> list:
        return [self.json]


@dataclasses.dataclass(frozen=True)
class HostBenched(StageResult):
    """The host benchmark stage's result.

    Args:
        seconds: how long the stage took when it ran.
        json: the benchmark's JSON file.
    """

    json: str = ""

    def files(self) -> list:
        return [self.json]
