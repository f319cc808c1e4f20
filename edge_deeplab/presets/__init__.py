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
    """Whether a model spec names a preset (`preset:NAME[:KIND]`)."""
    return str(spec).startswith(PRESET_PREFIX)


def model_name(spec) -> str:
    """What files made from the model `spec` are named after: a preset's name, or the model file or folder's
    name."""
    if is_preset(spec):
        return str(spec)[len(PRESET_PREFIX) :].partition(":")[0]
    return Path(spec).name


def available() -> list[str]:
    """The names of the presets installed with the package."""
    return sorted(p.name for p in PRESETS_DIR.iterdir() if (p / "keras" / "model.json").is_file())


def resolve(spec, kind: str = "keras") -> Path:
    """The one resolver of model names: every loader of a model calls it, so `preset:NAME` works wherever
    a model is taken (keras-hub's from_preset).

    Args:
        spec: `preset:NAME[:KIND]`, or any other model spec (a path), returned as a Path.
        kind: keras, int8 or fp16: what the loader reads, where the spec names none.

    Returns:
        The path of the preset's KIND; a one-line EdgeDeeplabError for an unknown preset or kind.
    """
    if not is_preset(spec):
        return Path(spec)
    name, _, named_kind = str(spec)[len(PRESET_PREFIX) :].partition(":")
    kind = named_kind or kind
    if name not in available():
        raise EdgeDeeplabError(
            f"{spec}: no such preset; choose from "
            f"{', '.join(PRESET_PREFIX + n for n in available()) or '(none installed)'}"
        )
    if kind not in KINDS:
        raise EdgeDeeplabError(f"{spec}: a preset offers {', '.join(KINDS)}, e.g. {PRESET_PREFIX}{name}:int8")
    path = PRESETS_DIR / name / KINDS[kind]
    if not path.exists():
        raise EdgeDeeplabError(f"{spec}: the preset has no {kind} model ({path}); reinstall edge-deeplab")
    return path
