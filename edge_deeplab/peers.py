"""The published models we measure against, each with its own preprocessing written down as a contract.

Neither file carries an edge-deeplab contract, so the numbers come from their publishers:
- Google's DeepLab v3 (MobileNet-v2 0.5, PASCAL VOC): 257 x 257, (x - 127.5) / 127.5, 21-class logits,
  person = 15 (the TFLite image-segmentation example; tensorflow/models research/deeplab).
- MediaPipe selfie segmentation (general): 256 x 256, x / 255, one channel of person probability.
- Coral's DeepLab v3 (MobileNet-v2 width 1.0, COCO + VOC, int8 from QAT): 513 x 513, uint8 input
  meaning (x - 128) / 128, an int64 argmax label map out (its 21-class scores, the argmax's input,
  are read by teachers: edge_deeplab/train/teachers.py).
A wrong normalisation costs about 10 mIoU points silently (tensorflow/models issue 8684), hence here,
once, next to the file names.

Name a peer on the command line as `peer:NAME` (found in the shared assets folder) or
`peer:NAME=PATH` (your own copy of the file).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from edge_deeplab.contract import ModelContract
from edge_deeplab.errors import EdgeDeeplabError

#: PASCAL VOC 2012 classes in label-id order (background = 0, person = 15).
VOC_LABELS = (
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tv",
)


@dataclasses.dataclass(frozen=True)
class Peer:
    """A published model we compare against (`peer:NAME`).

    Args:
        name: the name after "peer:".
        file: its path inside the shared assets folder.
        contract: its ModelContract (labels, input size, normalisation, output meaning).
        description: what it is, for the reports.
    """

    name: str
    file: str  # path inside the shared assets folder
    contract: ModelContract
    description: str


PEERS = {
    "deeplabv3-voc": Peer(
        name="deeplabv3-voc",
        file="peers/deeplabv3-mnv2-dm05-voc/deeplabv3_257.tflite",
        contract=ModelContract(
            labels=VOC_LABELS,
            input_height=257,
            input_width=257,
            mean=(127.5,) * 3,
            std=(127.5,) * 3,
            output_kind="logits",
            person_class=15,
        ),
        description="Google DeepLab v3, MobileNet-v2 0.5, PASCAL VOC (21 classes)",
    ),
    "mediapipe-selfie": Peer(
        name="mediapipe-selfie",
        file="peers/mediapipe-selfie/selfie_segmentation.tflite",
        contract=ModelContract(
            labels=("background", "person"),
            input_height=256,
            input_width=256,
            mean=(0.0,) * 3,
            std=(255.0,) * 3,
            output_kind="person_alpha",
            person_class=1,
        ),
        description="MediaPipe selfie segmentation (general), person probability",
    ),
    "coral-voc": Peer(
        name="coral-voc",
        file="peers/coral-deeplabv3-mnv2-voc/deeplabv3_mnv2_pascal_quant.tflite",
        contract=ModelContract(
            labels=VOC_LABELS,
            input_height=513,
            input_width=513,
            mean=(128.0,) * 3,
            std=(128.0,) * 3,
            output_kind="label_map",
            person_class=15,
        ),
        description="Coral DeepLab v3, MobileNet-v2 1.0, COCO + VOC, int8 (21 classes, 513 px)",
    ),
}

PEER_PREFIX = "peer:"


def is_peer_spec(spec: str) -> bool:
    """Whether a model spec names a peer (`peer:NAME`).

    Args:
        spec: a model spec.
    """
    return str(spec).startswith(PEER_PREFIX)


def resolve_peer(spec: str) -> tuple[Peer, Path]:
    """'peer:NAME' or 'peer:NAME=PATH' -> the peer and its .tflite file."""
    name, _, given = str(spec)[len(PEER_PREFIX) :].partition("=")
    peer = PEERS.get(name)
    if peer is None:
        raise EdgeDeeplabError(f"{spec}: unknown peer; choose one of {', '.join(PEER_PREFIX + n for n in PEERS)}")
    if given:
        path = Path(given)
    else:
        from edge_deeplab.shared import shared_dir

        root = shared_dir()
        if root is None:
            raise EdgeDeeplabError(
                f"{spec}: the shared assets folder is missing; set EDGE_DEEPLAB_SHARED or "
                f"pass the file as {PEER_PREFIX}{name}=PATH"
            )
        path = root / peer.file
    if not path.is_file():
        raise EdgeDeeplabError(f"{spec}: {path} not found; pass the file as {PEER_PREFIX}{name}=PATH")
    return peer, path
