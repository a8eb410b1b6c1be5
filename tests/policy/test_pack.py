"""Pack model, loader errors and digest stability."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from broker.domain.roles import Role as DomainRole
from broker.errors import ConfigurationError
from broker.policy import (
    REQUEST_FIELDS,
    ROLES,
    EvaluationRequest,
    PolicyPackError,
    load_pack,
    pack_digest,
    pack_from_toml,
    parse_pack,
)
from tests.policy.builders import (
    POLICIES,
    SHIPPED,
    dump_toml,
    minimal_pack_data,
    pack_data,
    shipped_pack,
)


def write(tmp_path: Path, data: dict[str, Any], name: str = "pack.toml") -> Path:
    path = tmp_path / name
    path.write_text(dump_toml(data), encoding="utf-8")
    return path


def load_error(tmp_path: Path, data: dict[str, Any]) -> PolicyPackError:
    path = write(tmp_path, data)
    with pytest.raises(PolicyPackError) as caught:
        load_pack(path)
    assert str(path) in str(caught.value)
    return caught.value


# --- shipped packs ---------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_pack_loads(name: str) -> None:
    pack = shipped_pack(name)
    assert pack.id == name
    assert pack.default_retention_days == 30
    assert pack.record_retention_days > 0
    assert pack.bases
    for basis in pack.bases:
        assert basis.citation.strip()
        if basis.decision == "review":
            assert basis.review_deadline_days is not None


def test_shipped_packs_are_all_tested() -> None:
    assert sorted(path.stem for path in POLICIES.glob("*.toml")) == sorted(SHIPPED)


def test_kr_pipa_bases_and_deadlines() -> None:
    pack = shipped_pack("kr-pipa")
    ids = {basis.id for basis in pack.bases}
    assert {
        "crime_investigation",
        "imminent_danger",
        "court_proceedings",
        "data_subject_access",
        "insurance_claim",
        "consent",
    } <= ids
    crime = pack.basis("crime_investigation")
    assert crime is not None
    assert crime.citation == "PIPA Art. 18(2) item 7"
    assert crime.decision == "auto_grant" and crime.roles == ("police",)
    danger = pack.basis("imminent_danger")
    assert danger is not None and "live" in danger.modes
    assert set(danger.roles) == {"police", "fire", "disaster"}
    access = pack.basis("data_subject_access")
    assert access is not None
    assert access.review_deadline_days == 10 and access.mask_third_parties
    claim = pack.basis("insurance_claim")
    assert claim is not None and claim.mask_third_parties
    assert {"claim_reference", "identity_proof"} <= set(claim.required_fields)


def test_eu_access_deadline_is_one_month() -> None:
    access = shipped_pack("eu-gdpr-led").basis("data_subject_access")
    assert access is not None and access.review_deadline_days == 30


def test_roles_match_the_domain_roles() -> None:
    assert set(ROLES) == {role.value for role in DomainRole}


def test_pack_errors_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        load_pack(tmp_path / "absent.toml")


def test_request_fields_exist_on_the_request_model() -> None:
    assert set(REQUEST_FIELDS) <= set(EvaluationRequest.model_fields)


def test_pack_is_frozen() -> None:
    pack = shipped_pack("kr-pipa")
    with pytest.raises(ValidationError):
        pack.version = "2"  # type: ignore[misc]
    assert pack.basis("no_such_basis") is None


# --- loader errors ---------------------------------------------------------------------


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('id = "x"\nversion = \n', encoding="utf-8")
    with pytest.raises(PolicyPackError, match="invalid TOML") as caught:
        load_pack(path)
    assert caught.value.source == str(path)
    assert str(path) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match="cannot read"):
        load_pack(tmp_path / "absent.toml")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(PolicyPackError, match="UTF-8"):
        load_pack(path)


def test_unknown_pack_field(tmp_path: Path) -> None:
    data = minimal_pack_data()
    data["colour"] = "blue"
    error = load_error(tmp_path, data)
    assert error.field == "colour"
    assert "colour" in str(error)


def test_unknown_basis_field_names_the_basis(tmp_path: Path) -> None:
    data = minimal_pack_data()
    data["bases"][1]["max_radius_km"] = 1
    error = load_error(tmp_path, data)
    assert error.field == "bases[own_image].max_radius_km"


def test_duplicate_basis_ids(tmp_path: Path) -> None:
    data = minimal_pack_data()
    data["bases"][1]["id"] = "crime_investigation"
    error = load_error(tmp_path, data)
    assert error.field == "bases"
    assert "duplicate basis id 'crime_investigation'" in str(error)


def test_unknown_role(tmp_path: Path) -> None:
    data = minimal_pack_data()
    data["bases"][0]["roles"] = ["police", "sheriff"]
    error = load_error(tmp_path, data)
    assert error.field == "bases[crime_investigation].roles[1]"
    assert "'sheriff'" in str(error)


def test_unknown_required_field(tmp_path: Path) -> None:
    data = minimal_pack_data()
    data["bases"][0]["required_fields"] = ["purpose", "shoe_size"]
    error = load_error(tmp_path, data)
    assert error.field == "bases[crime_investigation].required_fields[1]"


def test_review_basis_needs_a_deadline(tmp_path: Path) -> None:
    data = minimal_pack_data()
    del data["bases"][1]["review_deadline_days"]
    error = load_error(tmp_path, data)
    assert error.field == "bases[own_image].review_deadline_days"
    assert "review_deadline_days" in error.message


def test_auto_grant_basis_rejects_a_deadline(tmp_path: Path) -> None:
    data = minimal_pack_data()
    data["bases"][0]["review_deadline_days"] = 10
    error = load_error(tmp_path, data)
    assert error.field == "bases[crime_investigation].review_deadline_days"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_radius_m", 0),
        ("max_radius_m", -5.0),
        ("max_window_minutes", 0),
        ("max_lookback_days", -1),
        ("grant_lifetime_hours", 0),
        ("max_window_minutes", "60"),
        ("max_window_minutes", 1.5),
        ("mask_third_parties", "no"),
        ("roles", []),
        ("modes", ["recorded", "recorded"]),
        ("modes", ["archive"]),
        ("decision", "maybe"),
        ("onward_transfer", "anywhere"),
        ("id", "Crime Investigation"),
        ("citation", ""),
        ("restrictions", ["  "]),
    ],
)
def test_bad_basis_values(tmp_path: Path, field: str, value: Any) -> None:
    data = minimal_pack_data()
    data["bases"][0][field] = value
    error = load_error(tmp_path, data)
    assert error.field is not None
    assert error.field.startswith("bases[")
    assert field in error.field


def test_unrestricted_transfer_requires_masking(tmp_path: Path) -> None:
    data = minimal_pack_data()
    data["bases"][1]["mask_third_parties"] = False
    error = load_error(tmp_path, data)
    assert error.field == "bases[own_image].onward_transfer"


@pytest.mark.parametrize(
    ("field", "value"),
    [("record_retention_days", 0), ("default_retention_days", -30), ("bases", []), ("id", "")],
)
def test_bad_pack_values(tmp_path: Path, field: str, value: Any) -> None:
    data = minimal_pack_data()
    data[field] = value
    error = load_error(tmp_path, data)
    assert error.field == field


def test_missing_required_pack_field(tmp_path: Path) -> None:
    data = minimal_pack_data()
    del data["record_retention_days"]
    assert load_error(tmp_path, data).field == "record_retention_days"


def test_default_retention_defaults_to_30_days() -> None:
    data = minimal_pack_data()
    del data["default_retention_days"]
    assert parse_pack(data).default_retention_days == 30


# --- digest ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_digest_format(name: str) -> None:
    digest = pack_digest(shipped_pack(name))
    assert digest.startswith("sha256:")
    assert len(digest) == len("sha256:") + 64
    int(digest.removeprefix("sha256:"), 16)


@pytest.mark.parametrize("name", SHIPPED)
def test_digest_stable_under_reformatting(name: str, tmp_path: Path) -> None:
    original = shipped_pack(name)
    for seed in range(8):
        text = dump_toml(pack_data(original), seed=seed)
        path = tmp_path / f"{name}-{seed}.toml"
        path.write_text(text, encoding="utf-8")
        reloaded = load_pack(path)
        assert reloaded == original
        assert pack_digest(reloaded) == pack_digest(original)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), name=st.sampled_from(SHIPPED))
def test_digest_stable_under_any_layout(seed: int, name: str) -> None:
    original = shipped_pack(name)
    reloaded = pack_from_toml(dump_toml(pack_data(original), seed=seed))
    assert pack_digest(reloaded) == pack_digest(original)


def test_digest_changes_with_content() -> None:
    data = minimal_pack_data()
    before = pack_digest(parse_pack(data))
    data["bases"][0]["max_radius_m"] = 501
    assert pack_digest(parse_pack(data)) != before
    data["bases"][0]["max_radius_m"] = 500
    assert pack_digest(parse_pack(data)) == before
    data["bases"].reverse()  # basis order is content: it is the order shown to clients
    assert pack_digest(parse_pack(data)) != before


def test_digest_ignores_comments_and_integer_floats() -> None:
    data = minimal_pack_data()
    plain = pack_from_toml(dump_toml(data))
    commented = pack_from_toml("# reviewed 2025-03-01\n" + dump_toml(data).replace("500", "500.0"))
    assert pack_digest(plain) == pack_digest(commented)


def test_all_problems_are_listed_without_container_noise(tmp_path: Path) -> None:
    data = minimal_pack_data()
    data["bases"][0]["roles"] = ["sheriff"]
    data["bases"][1]["max_window_minutes"] = 0
    error = load_error(tmp_path, data)
    assert error.field == "bases[crime_investigation].roles[0]"
    assert "also bases[own_image].max_window_minutes" in str(error)
    assert "at least 1 item" not in str(error)
    assert str(error).count("bases[crime_investigation].roles[0]") == 1
