"""Without Chromium the browser tests are skipped on a developer's machine, but fail in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import conftest


def test_a_missing_chromium_skips_outside_ci_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "CHROMIUM", Path(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="is missing"):
        conftest._require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="in CI the browser tests must run"):
        conftest._require_chromium()
