"""The CLI summary and the public view of a pack."""

from __future__ import annotations

import json

import pytest

from broker.policy import describe, pack_digest, pack_public_view
from tests.policy.builders import SHIPPED, shipped_pack


@pytest.mark.parametrize("name", SHIPPED)
def test_describe_names_pack_digest_and_bases(name: str) -> None:
    pack = shipped_pack(name)
    text = describe(pack)
    assert pack.id in text and pack.version in text
    assert pack_digest(pack) in text
    for basis in pack.bases:
        assert f"- {basis.id}: {basis.title}" in text
        assert basis.citation in text


@pytest.mark.parametrize("name", SHIPPED)
def test_public_view(name: str) -> None:
    pack = shipped_pack(name)
    view = pack_public_view(pack)
    assert json.loads(json.dumps(view)) == view  # plain JSON, no tuples or datetimes
    assert view["id"] == pack.id and view["version"] == pack.version
    assert view["digest"] == pack_digest(pack)
    assert view["jurisdiction"] == pack.jurisdiction
    assert [b["id"] for b in view["bases"]] == [b.id for b in pack.bases]
    for shown, basis in zip(view["bases"], pack.bases, strict=True):
        assert shown["citation"] == basis.citation
        assert shown["roles"] == list(basis.roles)
        assert shown["modes"] == list(basis.modes)
        assert shown["limits"]["max_radius_m"] == basis.max_radius_m
        assert shown["limits"]["max_window_minutes"] == basis.max_window_minutes
        assert shown["limits"]["max_lookback_days"] == basis.max_lookback_days
        assert shown["limits"]["review_deadline_days"] == basis.review_deadline_days
