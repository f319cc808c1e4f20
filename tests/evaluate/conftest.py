"""Fixtures of the evaluator's tests; the helpers they share live in fakes.py."""

import pytest


@pytest.fixture(scope="session")
def ccp_person(shared):
    root = shared / "data" / "ccp-person"
    if not root.is_dir():
        pytest.skip("../shared/data/ccp-person is missing")
    return root
