"""Third-party test data (Shopify's schema and samples), read from Amend's shared folder, never the repo.

The shared folder sits beside the repository (`<repo>/../shared`) unless `AMEND_SHARED_DIR` points
elsewhere. A fresh clone without it still gets a passing run: a test that needs a missing file skips,
with a reason that says how to get the file. Under CI (`CI` set) a missing file fails the test
instead, so a pipeline that lost its data cannot go green by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR_VARIABLE = "AMEND_SHARED_DIR"
HOW_TO_GET_IT = f"put Amend's shared folder beside the repository (../shared) or set {SHARED_DIR_VARIABLE}"


def shared_dir() -> Path:
    """The shared folder: AMEND_SHARED_DIR if set, else `shared` beside the repository root."""
    configured = os.environ.get(SHARED_DIR_VARIABLE)
    return Path(configured) if configured else ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """Where a file under the shared folder would be (it may not exist: see `require`)."""
    return shared_dir().joinpath(*parts)


def running_in_ci() -> bool:
    # CI services set CI=true (or 1); an empty value or an explicit "false" is a developer's machine.
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(path: Path, *, what: str, how: str = HOW_TO_GET_IT) -> Path:
    """Return `path` if it exists; otherwise skip the test, or fail it under CI, saying how to get it."""
    if path.exists():
        return path
    reason = f"{what} not found at {path}: {how}"
    if running_in_ci():
        pytest.fail(f"{reason} (CI is set, so missing test data is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def shared_file(*parts: str, what: str) -> Path:
    """A file under the shared folder that the calling test needs (skips or fails when it is missing)."""
    return require(shared_path(*parts), what=what)
