"""What changes between two packs, rule by rule."""

from __future__ import annotations

from broker.domain.roles import Role
from broker.policy.diff import describe_diff, pack_diff
from tests.policy.builders import shipped_pack


def test_equal_packs_have_no_changes_and_bases_are_matched_by_id():
    pack = shipped_pack("kr-pipa")
    assert pack_diff(pack, pack) == []
    reordered = pack.model_copy(update={"bases": tuple(reversed(pack.bases))})
    assert pack_diff(pack, reordered) == []
    assert describe_diff(pack, pack).endswith("no rule changes\n")


def test_changed_added_and_removed_bases():
    pack = shipped_pack("kr-pipa")
    crime = pack.basis("crime_investigation")
    assert crime is not None
    narrower = crime.model_copy(update={"max_radius_m": 300.0, "roles": (Role.POLICE, Role.FIRE)})
    court = pack.basis("court_proceedings")
    new_bases = tuple(narrower if b.id == crime.id else b for b in pack.bases if b is not court)
    added = crime.model_copy(update={"id": "traffic_accident", "title": "Traffic accidents"})
    draft = pack.model_copy(update={"bases": (*new_bases, added)})
    changes = {change["path"]: change for change in pack_diff(pack, draft)}
    assert changes["bases[crime_investigation].max_radius_m"] | {"old": 500.0, "new": 300.0} == (
        changes["bases[crime_investigation].max_radius_m"])
    assert changes["bases[court_proceedings]"]["change"] == "removed"
    assert changes["bases[traffic_accident]"]["change"] == "added"
    text = describe_diff(pack, draft)
    assert "~ bases[crime_investigation].roles: + fire" in text
    assert "- bases[court_proceedings]: Court proceedings" in text
    assert "+ bases[traffic_accident]: Traffic accidents" in text
