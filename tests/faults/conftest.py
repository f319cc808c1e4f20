"""Fixtures for the fault tests (issue 15): tiny data, so each case costs seconds."""
import pytest

from edge_deeplab.data.synthetic import write_synthetic


@pytest.fixture(scope="session")
def tiny_scenes(tmp_path_factory):
    """4 training and 2 validation scenes at 65 px: two steps per epoch at batch 2."""
    return write_synthetic(tmp_path_factory.mktemp("faults") / "scenes", n_train=4, n_val=2, size=65, seed=5)
