"""Camera frames for end-to-end benchmarks: a given JPEG, or a deterministic synthetic one."""

from __future__ import annotations

from pathlib import Path

from edge_deeplab.errors import EdgeDeeplabError


def synthetic_jpeg(width: int = 640, height: int = 480) -> bytes:
    """A deterministic camera-sized JPEG: smooth gradients plus a bright ellipse, so decode cost is realistic."""
    import cv2
    import numpy as np

    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    frame = np.stack([x / width * 255, y / height * 255, (x + y) / (width + height) * 255], axis=-1)
    cv2.ellipse(frame, (width // 2, height // 2), (width // 6, height // 3), 0, 0, 360, (230, 200, 180), -1)
    ok, encoded = cv2.imencode(".jpg", frame.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return encoded.tobytes()


def load_jpeg(path) -> bytes:
    """The bytes of the image `--image` names, checked to decode.

    Args:
        path: a JPEG or PNG file.

    Returns:
        The file's bytes; a one-line EdgeDeeplabError when it is missing or OpenCV cannot decode it.
    """
    import cv2
    import numpy as np

    data = Path(path).read_bytes() if Path(path).is_file() else None
    if data is None:
        raise EdgeDeeplabError(f"{path}: image not found; pass a JPEG or PNG with --image")
    if cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is None:
        raise EdgeDeeplabError(f"{path}: not an image OpenCV can decode; pass a JPEG or PNG with --image")
    return data
