"""The Python API says what it takes: every public function and class a Python user calls (the packages'
__all__, and the library function behind each verb) has a docstring naming each of its arguments."""

import dataclasses
import importlib
import inspect
import re

import pytest

#: module -> the names of its API (None: its __all__).
API = {
    "edge_deeplab": None,
    "edge_deeplab.model": None,
    "edge_deeplab.train": None,
    "edge_deeplab.data": None,
    "edge_deeplab.pipeline": None,
    "edge_deeplab.evaluate": ["evaluate", "open_eval_dataset"],
    "edge_deeplab.presets": ["resolve", "is_preset", "available", "model_name"],
    "edge_deeplab.converters.export": ["export"],
    "edge_deeplab.converters.gpu_gate": ["check_gpu"],
    "edge_deeplab.bench.host": ["benchmark_on_host"],
    "edge_deeplab.bench.device": ["benchmark_on_device"],
    "edge_deeplab.evaluate.quant_report": ["quant_report"],
    "edge_deeplab.evaluate.relabel": ["ignore_disputed"],
    "edge_deeplab.deploy.android": ["export_android"],
}


def _api():
    for module, names in API.items():
        loaded = importlib.import_module(module)
        for name in names or loaded.__all__:
            value = getattr(loaded, name)
            if inspect.isfunction(value) or inspect.isclass(value):
                yield f"{module}.{name}", value


def _arguments(value) -> list[str]:
    if inspect.isclass(value) and dataclasses.is_dataclass(value):
        return [field.name for field in dataclasses.fields(value)]
    signature = inspect.signature(value.__init__ if inspect.isclass(value) else value)
    return [
        p.name
        for p in signature.parameters.values()
        if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


@pytest.mark.parametrize("name, value", list(_api()), ids=lambda item: item if isinstance(item, str) else "")
def test_the_docstring_names_every_argument(name, value):
    doc = inspect.getdoc(value) or ""
    assert doc.strip(), f"{name} has no docstring"
    # A dataclass without a docstring gets its signature as one, which names every field and says nothing.
    assert not (inspect.isclass(value) and doc.startswith(f"{value.__name__}(")), f"{name} has no docstring"
    missing = [argument for argument in _arguments(value) if not re.search(rf"\b{argument}\b", doc)]
    assert not missing, f"{name}'s docstring does not say what {', '.join(missing)} mean(s)"
