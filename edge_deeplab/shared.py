"""Where the collected offline assets live (data, weights, peer models, captured outputs).

The folder `shared/` beside the checkout, or wherever EDGE_DEEPLAB_SHARED points.
Nothing in edge-deeplab downloads weights or data at test time: this folder is the source.
"""

import os
from pathlib import Path
from typing import Optional

#: The held-out real photos every claim about real people is scored on: name -> (folder under
#: shared/, split). None of them is trained or selected on (eg1800's train/val and ccp-person's
#: train are for that; coco-people is evaluation only).
EVALUATION_SETS = {
    "eg1800 test": ("data/eg1800", "test"),
    "ccp-person val": ("data/ccp-person", "val"),
    "coco-people": ("data/coco-people", "val"),
}


def shared_dir() -> Optional[Path]:
    """The shared assets folder, or None where it does not exist (a user's fresh clone)."""
    configured = os.environ.get("EDGE_DEEPLAB_SHARED")
    candidate = Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared"
    return candidate if candidate.is_dir() else None


def evaluation_sets() -> dict:
    """name -> (dataset folder, split) of the EVALUATION_SETS this machine holds (none without shared/)."""
    shared = shared_dir()
    if shared is None:
        return {}
    return {
        name: (shared / folder, split)
        for name, (folder, split) in EVALUATION_SETS.items()
        if (shared / folder / f"{split}.txt").is_file()
    }
