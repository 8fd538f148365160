"""The worked examples of MATCHING.md, one test each."""

from __future__ import annotations

from pathlib import Path

from tests.engine.helpers import EXAMPLE_1, EXAMPLE_2, EXAMPLE_3, EXAMPLE_6, resolve_rows


def test_example_1_key_joins_cookie_visitor_and_app_user(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_1,
    )
    assert result.groups() == [{1, 2, 3, 4}]
    by_row = {int(m["row"]): m["matched_by"] for m in result.membership}
    assert by_row == {1: "cookie", 2: "user_pseudo_id", 3: "external_id", 4: "external_id"}


def test_example_1_without_the_key_records_stays_two_contacts(tmp_path: Path) -> None:
    result = resolve_rows(tmp_path, [{"cookie": "c1"}, {"user_pseudo_id": "p1"}])
    assert result.groups() == [{1}, {2}]


def test_example_2_device_moves_to_most_recent_owner(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_2,
    )
    assert result.groups() == [{1}, {2}]
    moved = result.findings_of("moved")
    assert [(f["identifier"], f["value"]) for f in moved] == [("device_id", "D1")]
    assert moved[0]["moved_from"] == result.contact_of(1)
    assert moved[0]["moved_to"] == result.contact_of(2)
    assert result.contact(2)["device_id"] == "D1"
    assert result.contact(1)["device_id"] == "" and result.contact(1)["device_id_other"] == ""


def test_example_2_order_of_rows_does_not_change_owner(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "E2", "device_id": "D1", "updated_at": "2024-06-01"},
            {"external_id": "E1", "device_id": "D1", "updated_at": "2024-01-01"},
        ],
    )
    assert result.contact(1)["device_id"] == "D1"
    assert result.findings_of("moved")[0]["moved_to"] == result.contact_of(1)


def test_example_3_family_email_is_a_conflict(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_3,
    )
    assert result.groups() == [{1}, {2}, {3}]
    conflicts = result.findings_of("conflict")
    assert [(f["identifier"], f["value"], f["records"]) for f in conflicts] == [("email", "fam@x.com", "3")]
    assert conflicts[0]["contact_count"] == "3"


def test_example_4_email_case_and_spaces(tmp_path: Path) -> None:
    result = resolve_rows(tmp_path, [{"email": " John@Shop.UA "}, {"email": "john@shop.ua"}])
    assert result.groups() == [{1, 2}]
    assert result.contact(1)["email"] == "john@shop.ua"
    assert result.contact(1)["email_other"] == ""


def test_example_5_junk_email_links_nothing(tmp_path: Path) -> None:
    result = resolve_rows(tmp_path, [{"email": "test@test.com"}] * 3)
    assert result.groups() == [{1}, {2}, {3}]
    blocked = result.findings_of("blocked")
    assert [(f["identifier"], f["value"], f["records"]) for f in blocked] == [("email", "test@test.com", "3")]
    assert len(result.findings_of("no_identifier")) == 3
    assert len({m["contact_id"] for m in result.membership}) == 3


def test_example_6_priority_decides_email_before_phone(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_6,
    )
    assert result.groups() == [{1}, {2, 3}]
    conflicts = result.findings_of("conflict")
    assert [(f["identifier"], f["value"]) for f in conflicts] == [("phone", "+380671234567")]
    assert {int(m["row"]): m["matched_by"] for m in result.membership} == {1: "", 2: "email", 3: "email"}
