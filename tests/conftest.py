import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before anything imports TensorFlow)

import pytest

from edge_deeplab.shared import shared_dir


@pytest.fixture(scope="session")
def shared():
    """The ../shared assets folder; tests that need it skip where it is missing."""
    path = shared_dir()
    if path is None:
        pytest.skip(
            "../shared (or $EDGE_DEEPLAB_SHARED) is missing: these tests need its offline data, weights and peer models"
        )
    return path
