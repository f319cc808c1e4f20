"""Where the collected offline assets live (data, weights, peer models, captured outputs).

The folder `shared/` beside the checkout, or wherever EDGE_DEEPLAB_SHARED points.
Nothing in edge-deeplab downloads weights or data at test time: this folder is the source.
"""
import os
from pathlib import Path
from typing import Optional


def shared_dir() -> Optional[Path]:
    """The shared assets folder, or None where it does not exist (a user's fresh clone)."""
    configured = os.environ.get("EDGE_DEEPLAB_SHARED")
    candidate = Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared"
    return candidate if candidate.is_dir() else None
