"""Child process, run by .venv-mediapipe's python (MediaPipe Tasks, not our code): segment one RGB image
with `vision.ImageSegmenter` and read the model's metadata with MediaPipe's own generated schema module.

usage: python mediapipe_segment.py MODEL.tflite IMAGE.npy MASK_OUT.npy   (prints a JSON report)
"""

import io
import json
import sys
import zipfile

import numpy as np


def main(model_path, image_path, mask_path):
    import mediapipe as mp
    from mediapipe.tasks import python as mp_tasks
    from mediapipe.tasks.metadata import metadata_schema_py_generated as fb
    from mediapipe.tasks.python import vision

    rgb = np.ascontiguousarray(np.load(image_path).astype(np.uint8))
    options = vision.ImageSegmenterOptions(
        base_options=mp_tasks.BaseOptions(model_asset_path=model_path),
        output_category_mask=True,
        output_confidence_masks=True,
    )
    with vision.ImageSegmenter.create_from_options(options) as segmenter:
        result = segmenter.segment(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        labels = list(segmenter.labels)
    np.save(mask_path, result.category_mask.numpy_view().copy())
    # What an app reads as each category's confidence: probabilities must sum to 1 at every pixel.
    confidence_sum = sum(mask.numpy_view().astype(np.float64) for mask in result.confidence_masks)

    # The metadata buffer, through MediaPipe's copies of the TFLite schema and of the metadata schema.
    from mediapipe.tasks.metadata import schema_py_generated as schema

    data = open(model_path, "rb").read()
    model = schema.Model.GetRootAs(data, 0)
    entries = {model.Metadata(i).Name().decode(): model.Metadata(i).Buffer() for i in range(model.MetadataLength())}
    raw = model.Buffers(entries["TFLITE_METADATA"]).DataAsNumpy().tobytes()
    metadata = fb.ModelMetadata.GetRootAsModelMetadata(raw, 0)
    image = metadata.SubgraphMetadata(0).InputTensorMetadata(0)
    unit = image.ProcessUnits(0)
    norm = fb.NormalizationOptions()
    norm.Init(unit.Options().Bytes, unit.Options().Pos)
    masks = metadata.SubgraphMetadata(0).OutputTensorMetadata(0)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        packed = {name: archive.read(name).decode() for name in archive.namelist()}
    print(
        json.dumps(
            {
                "segmenter_labels": labels,
                "name": metadata.Name().decode(),
                "min_parser_version": metadata.MinParserVersion().decode(),
                "mean": norm.MeanAsNumpy().tolist(),
                "std": norm.StdAsNumpy().tolist(),
                "output_file": masks.AssociatedFiles(0).Name().decode(),
                "output_file_type": masks.AssociatedFiles(0).Type(),
                "packed": packed,
                "confidence_sum": [float(confidence_sum.min()), float(confidence_sum.max())],
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
