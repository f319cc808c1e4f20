"""Ready-made models shipped inside the package: `preset:NAME` wherever a command takes a model.

A preset folder holds the Keras model folder (keras/: model.json + weights.h5, the pipeline's and
fine-tuning's starting point), its int8 and fp16 TFLite exports (the model contract and standard
TFLite metadata inside) and MODEL_CARD.md (recipe, data, licences, measured scores and latency).
"""
from __future__ import annotations

from pathlib import Path

from edge_deeplab.errors import EdgeDeeplabError

PRESET_PREFIX = "preset:"
PRESETS_DIR = Path(__file__).resolve().parent
#: What a preset offers, by the name a command asks for.
KINDS = {"keras": "keras", "int8": "int8.tflite", "fp16": "fp16.tflite"}


def is_preset(spec) -> bool:
    return str(spec).startswith(PRESET_PREFIX)


def available() -> list[str]:
    return sorted(p.name for p in PRESETS_DIR.iterdir() if (p / "keras" / "model.json").is_file())


def resolve(spec, kind: str = "keras") -> Path:
    """`preset:NAME[:KIND]` -> the path of its KIND (keras, int8, fp16; `kind` where the spec names none);
    any other spec is returned as a Path."""
    if not is_preset(spec):
        return Path(spec)
    name, _, named_kind = str(spec)[len(PRESET_PREFIX):].partition(":")
    kind = named_kind or kind
    if name not in available():
        raise EdgeDeeplabError(f"{spec}: no such preset; choose from "
                               f"{', '.join(PRESET_PREFIX + n for n in available()) or '(none installed)'}")
    if kind not in KINDS:
        raise EdgeDeeplabError(f"{spec}: a preset offers {', '.join(KINDS)}, e.g. {PRESET_PREFIX}{name}:int8")
    path = PRESETS_DIR / name / KINDS[kind]
    if not path.exists():
        raise EdgeDeeplabError(f"{spec}: the preset has no {kind} model ({path}); reinstall edge-deeplab")
    return path
