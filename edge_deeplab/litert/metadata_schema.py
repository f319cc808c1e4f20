"""The part of the official TFLite metadata schema (tflite-support's metadata_schema.fbs, file identifier
"M001") that we write and read, by hand with the `flatbuffers` package's Builder and Table.

Only these tables and fields, with the schema's field ids (a union takes two ids: its type, then its value):

    ModelMetadata     name 0, description 1, version 2, subgraph_metadata 3, author 4, license 5,
                      associated_files 6, min_parser_version 7
    SubGraphMetadata  input_tensor_metadata 2, output_tensor_metadata 3
    TensorMetadata    name 0, description 1, content 3, process_units 4, stats 5, associated_files 6
    Content           content_properties 0-1 (ImageProperties = 2), range 2
    ImageProperties   color_space 0 (byte)            ValueRange  min 0, max 1 (int)
    ProcessUnit       options 0-1 (NormalizationOptions = 1)
    NormalizationOptions  mean 0, std 1 ([float])     Stats       max 0, min 1 ([float])
    AssociatedFile    name 0, description 1, type 2 (byte)

A model is the plain dict that read_metadata returns (what metadata.read_standard_metadata shows):
{name, description, version, author, license, min_parser_version, inputs, outputs}, a tensor being
{name, description, color_space?, range?, mean?, std?, min?, max?, associated_files}: mean/std make a
NormalizationOptions process unit, min/max (either key, None = no vector) a Stats table, and a file is
{name, description?, type}. write_metadata builds the tables in the order flatc's generated Pack() does,
so its bytes are those of the generated object API for the same values.
"""

from __future__ import annotations

from typing import Optional

import flatbuffers
from flatbuffers import number_types as N
from flatbuffers.table import Table

IDENTIFIER = b"M001"
COLOR_SPACES = ("UNKNOWN", "RGB", "GRAYSCALE")
FILE_TYPES = (
    "UNKNOWN",
    "DESCRIPTIONS",
    "TENSOR_AXIS_LABELS",
    "TENSOR_VALUE_LABELS",
    "TENSOR_AXIS_SCORE_CALIBRATION",
    "VOCABULARY",
    "SCANN_INDEX_FILE",
)
IMAGE_PROPERTIES = 2  # ContentProperties union type
NORMALIZATION_OPTIONS = 1  # ProcessUnitOptions union type


# ---- writer -----------------------------------------------------------------------------------------
def write_metadata(model: dict) -> bytes:
    """The ModelMetadata flatbuffer (identifier M001) of `model` (one SubGraphMetadata)."""
    w = _Writer()
    name, description, version = (w.string(model.get(key)) for key in ("name", "description", "version"))
    inputs = w.tables([w.tensor(t) for t in model.get("inputs", [])])
    outputs = w.tables([w.tensor(t) for t in model.get("outputs", [])])
    subgraphs = w.tables([w.table(10, (2, w.ref, inputs), (3, w.ref, outputs))])
    author, license_, parser = (w.string(model.get(key)) for key in ("author", "license", "min_parser_version"))
    root = w.table(
        8,
        (0, w.ref, name),
        (1, w.ref, description),
        (2, w.ref, version),
        (3, w.ref, subgraphs),
        (4, w.ref, author),
        (5, w.ref, license_),
        (7, w.ref, parser),
    )
    w.builder.Finish(root, IDENTIFIER)
    return bytes(w.builder.Output())


class _Writer:
    def __init__(self):
        self.builder = b = flatbuffers.Builder(0)
        self.ref, self.byte, self.ubyte, self.int = (
            b.PrependUOffsetTRelativeSlot,
            b.PrependInt8Slot,
            b.PrependUint8Slot,
            b.PrependInt32Slot,
        )

    def table(self, num_fields: int, *fields) -> int:
        """A table of (field id, Prepend*Slot, value) fields; None values are left out (as are values equal
        to the default 0, by the builder)."""
        self.builder.StartObject(num_fields)
        for field_id, prepend, value in fields:
            if value is not None:
                prepend(field_id, value, 0)
        return self.builder.EndObject()

    def string(self, text: Optional[str]) -> Optional[int]:
        return None if text is None else self.builder.CreateString(text)

    def floats(self, values) -> Optional[int]:
        if values is None:
            return None
        self.builder.StartVector(4, len(values), 4)
        for value in reversed(values):
            self.builder.PrependFloat32(value)
        return self.builder.EndVector()

    def tables(self, offsets: list) -> int:
        self.builder.StartVector(4, len(offsets), 4)
        for offset in reversed(offsets):
            self.builder.PrependUOffsetTRelative(offset)
        return self.builder.EndVector()

    def tensor(self, tensor: dict) -> int:
        name, description = self.string(tensor.get("name")), self.string(tensor.get("description"))
        content = units = stats = files = None
        if "color_space" in tensor:
            image = self.table(2, (0, self.byte, COLOR_SPACES.index(tensor["color_space"])))
            value_range = tensor.get("range")
            if value_range is not None:
                value_range = self.table(2, (0, self.int, value_range[0]), (1, self.int, value_range[1]))
            content = self.table(3, (0, self.ubyte, IMAGE_PROPERTIES), (1, self.ref, image), (2, self.ref, value_range))
        if "mean" in tensor or "std" in tensor:
            mean, std = self.floats(tensor.get("mean")), self.floats(tensor.get("std"))
            options = self.table(2, (0, self.ref, mean), (1, self.ref, std))
            units = self.tables([self.table(2, (0, self.ubyte, NORMALIZATION_OPTIONS), (1, self.ref, options))])
        if "min" in tensor or "max" in tensor:
            high, low = self.floats(tensor.get("max")), self.floats(tensor.get("min"))
            stats = self.table(2, (0, self.ref, high), (1, self.ref, low))
        if tensor.get("associated_files"):
            files = self.tables([self.associated_file(f) for f in tensor["associated_files"]])
        return self.table(
            7,
            (0, self.ref, name),
            (1, self.ref, description),
            (3, self.ref, content),
            (4, self.ref, units),
            (5, self.ref, stats),
            (6, self.ref, files),
        )

    def associated_file(self, file: dict) -> int:
        name, description = self.string(file.get("name")), self.string(file.get("description"))
        return self.table(
            5, (0, self.ref, name), (1, self.ref, description), (2, self.byte, FILE_TYPES.index(file["type"]))
        )


# ---- reader -----------------------------------------------------------------------------------------
def has_identifier(raw: bytes) -> bool:
    """Whether a buffer carries the TFLite metadata flatbuffer's file identifier (M001) at bytes 4-8.

    Args:
        raw: the buffer.
    """
    return len(raw) >= 8 and bytes(raw[4:8]) == IDENTIFIER


def read_metadata(raw: bytes) -> dict:
    """The model dict (see the module docstring) of a ModelMetadata flatbuffer; tables and fields not
    listed there are skipped, absent strings read None and absent lists []."""
    root = Table(raw, int.from_bytes(raw[:4], "little"))
    subgraphs = _tables(root, 3)
    subgraph = subgraphs[0] if subgraphs else None
    return {
        "name": _string(root, 0),
        "description": _string(root, 1),
        "version": _string(root, 2),
        "author": _string(root, 4),
        "license": _string(root, 5),
        "min_parser_version": _string(root, 7),
        "inputs": [_tensor(t) for t in _tables(subgraph, 2)],
        "outputs": [_tensor(t) for t in _tables(subgraph, 3)],
    }


def _tensor(tensor: Table) -> dict:
    result = {"name": _string(tensor, 0), "description": _string(tensor, 1)}
    content = _table(tensor, 3)
    if content is not None and _scalar(content, 0, N.Uint8Flags) == IMAGE_PROPERTIES:
        result["color_space"] = _enum(COLOR_SPACES, _scalar(_table(content, 1), 0, N.Int8Flags))
    value_range = _table(content, 2)
    if value_range is not None:
        result["range"] = [_scalar(value_range, 0, N.Int32Flags), _scalar(value_range, 1, N.Int32Flags)]
    for unit in _tables(tensor, 4):
        if _scalar(unit, 0, N.Uint8Flags) == NORMALIZATION_OPTIONS:
            options = _table(unit, 1)
            result["mean"], result["std"] = _floats(options, 0) or [], _floats(options, 1) or []
    stats = _table(tensor, 5)
    if stats is not None:
        result["min"], result["max"] = _floats(stats, 1), _floats(stats, 0)
    result["associated_files"] = [
        {"name": _string(f, 0), "type": _enum(FILE_TYPES, _scalar(f, 2, N.Int8Flags))} for f in _tables(tensor, 6)
    ]
    return result


def _position(table: Optional[Table], field_id: int) -> int:
    """Where the field's value sits in the buffer, 0 when the table or the field is absent."""
    if table is None:
        return 0
    relative = table.Offset(4 + 2 * field_id)
    return table.Pos + relative if relative else 0


def _scalar(table: Optional[Table], field_id: int, flags, default=0):
    at = _position(table, field_id)
    return table.Get(flags, at) if at else default


def _string(table: Optional[Table], field_id: int) -> Optional[str]:
    at = _position(table, field_id)
    return table.String(at).decode("utf-8", "replace") if at else None


def _table(table: Optional[Table], field_id: int) -> Optional[Table]:
    """A table field, or a union's value (its second field id)."""
    at = _position(table, field_id)
    return Table(table.Bytes, table.Indirect(at)) if at else None


def _vector(table: Optional[Table], field_id: int) -> Optional[range]:
    """The positions of a vector's elements (4 bytes each: floats or table offsets), None when absent."""
    at = _position(table, field_id)
    if not at:
        return None
    start = at + table.Get(N.UOffsetTFlags, at)
    length = table.Get(N.UOffsetTFlags, start)
    return range(start + 4, start + 4 + 4 * length, 4)


def _tables(table: Optional[Table], field_id: int) -> list:
    return [Table(table.Bytes, table.Indirect(at)) for at in _vector(table, field_id) or []]


def _floats(table: Optional[Table], field_id: int) -> Optional[list]:
    elements = _vector(table, field_id)
    return None if elements is None else [table.Get(N.Float32Flags, at) for at in elements]


def _enum(names: tuple, value: int) -> Optional[str]:
    return names[value] if 0 <= value < len(names) else None
