"""Rules of MATCHING.md beyond the worked examples."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.engine.helpers import HEADER, resolve_files, resolve_rows, write_csv


def test_record_with_two_keys_is_a_conflict_and_links_by_neither(tmp_path: Path) -> None:
    header = ["external_id", "Customer ID", "email", "cookie"]
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "E1", "Customer ID": "E2", "email": "a@x.com"},
            {"external_id": "E1"},
            {"email": "a@x.com"},
            {"cookie": "c9"},
            {"external_id": "E2", "cookie": "c9"},
        ],
        header=header,
    )
    # Row 5 holds E2 alone, row 1 both: row 1 stays apart from every other
    # identified record, but the cookie still attaches row 4 to row 5.
    assert result.groups() == [{1}, {2}, {3}, {4, 5}]
    conflicts = {(f["identifier"], f["value"]) for f in result.findings_of("conflict")}
    assert conflicts == {("external_id", "E1"), ("external_id", "E2"), ("email", "a@x.com")}


def test_key_conflict_record_still_attaches_anonymous_records(tmp_path: Path) -> None:
    header = ["external_id", "Customer ID", "cookie"]
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "E1", "Customer ID": "E2", "cookie": "c1"},
            {"cookie": "c1"},
        ],
        header=header,
    )
    assert result.groups() == [{1, 2}]


def test_limit_refuses_a_merge_that_would_hold_too_many_emails(tmp_path: Path) -> None:
    rows = [{"email": f"u{i}@x.com", "phone": "+380671234567"} for i in range(6)]
    result = resolve_rows(tmp_path, rows)
    assert result.groups() == [{i} for i in range(1, 7)]
    assert [(f["kind"], f["identifier"]) for f in result.findings] == [("limit", "phone")]


def test_limit_from_config_allows_the_merge(tmp_path: Path) -> None:
    config = tmp_path / "idmerge.toml"
    config.write_text("[identifiers.email]\nlimit = 6\n", encoding="utf-8")
    rows = [{"email": f"u{i}@x.com", "phone": "+380671234567"} for i in range(6)]
    result = resolve_rows(tmp_path, rows, config=config)
    assert result.groups() == [set(range(1, 7))]


def test_group_over_the_limit_through_its_key_still_absorbs_a_record_with_no_new_email(tmp_path: Path) -> None:
    rows = [{"external_id": "K", "email": f"u{i}@x.com"} for i in range(6)]
    rows.append({"email": "u3@x.com", "cookie": "c1"})
    result = resolve_rows(tmp_path, rows)
    assert result.groups() == [set(range(1, 8))]


def test_records_sharing_a_key_are_one_contact_whatever_the_limits(tmp_path: Path) -> None:
    rows = [{"external_id": "K", "phone": f"+38067123456{i}"} for i in range(7)]
    result = resolve_rows(tmp_path, rows)
    assert result.groups() == [set(range(1, 8))]
    contact = result.contact(1)
    assert len(contact["phone_other"].split("|")) == 6


def test_source_key_links_only_within_one_file(tmp_path: Path) -> None:
    header = ["system_id", "email"]
    a = write_csv(tmp_path / "esputnik.csv", [{"system_id": "101"}, {"system_id": "101", "email": "a@x.com"}], header)
    b = write_csv(tmp_path / "mailchimp.csv", [{"system_id": "101", "email": "b@x.com"}], header)
    result = resolve_files(tmp_path, [a, b])
    assert result.contact_of(1, "esputnik.csv") == result.contact_of(2, "esputnik.csv")
    assert result.contact_of(1, "mailchimp.csv") != result.contact_of(1, "esputnik.csv")
    written = {c["system_id"] for c in result.contacts}
    assert written == {"esputnik.csv:101", "mailchimp.csv:101"}


def test_over_shared_value_is_a_hub(tmp_path: Path) -> None:
    rows = [{"external_id": f"E{i}", "phone": "+380441234567"} for i in range(21)]
    rows.append({"phone": "+380441234567"})
    result = resolve_rows(tmp_path, rows)
    assert len(result.groups()) == 22
    hubs = result.findings_of("over_shared")
    assert [(f["identifier"], f["value"], f["records"]) for f in hubs] == [("phone", "+380441234567", "22")]
    assert result.findings_of("conflict") == []


def test_value_on_twenty_keys_is_a_conflict_not_a_hub(tmp_path: Path) -> None:
    rows = [{"external_id": f"E{i}", "phone": "+380441234567"} for i in range(20)]
    result = resolve_rows(tmp_path, rows)
    assert result.findings_of("over_shared") == []
    assert len(result.findings_of("conflict")) == 1


@pytest.mark.parametrize(
    ("column", "value", "reported"),
    [
        ("email", "N/A", "n/a"),
        ("email", "noreply@shop.ua", "noreply@shop.ua"),
        ("email", "someone@example.com", "someone@example.com"),
        ("email", "a@mail.test", "a@mail.test"),
        ("phone", "0000000000", "0000000000"),
        ("phone", "+7 777 777 77 77", "+7 777 777 77 77".lower()),
        ("phone", "1234567890", "+3801234567890"),
        ("phone", "+380 00 000 00 00", "+380000000000"),
        ("device_id", "00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"),
        ("cookie", "undefined", "undefined"),
        ("external_id", "null", "null"),
    ],
)
def test_placeholders_and_junk_never_link(tmp_path: Path, column: str, value: str, reported: str) -> None:
    result = resolve_rows(tmp_path, [{column: value}, {column: value}])
    assert result.groups() == [{1}, {2}]
    blocked = result.findings_of("blocked")
    assert [(f["identifier"], f["records"]) for f in blocked] == [(column, "2")]
    if column != "phone" or value.startswith("0") or value.startswith("+7"):
        assert blocked[0]["value"] == reported


def test_user_blocked_values_and_patterns(tmp_path: Path) -> None:
    config = tmp_path / "idmerge.toml"
    config.write_text(
        '[identifiers.email]\nblocked = ["info@shop.ua"]\nblocked_patterns = ["^admin@"]\n', encoding="utf-8"
    )
    rows = [{"email": "Info@Shop.ua"}, {"email": "info@shop.ua"}, {"email": "admin@a.ua"}, {"email": "ADMIN@a.ua"}]
    result = resolve_rows(tmp_path, rows, config=config)
    assert result.groups() == [{1}, {2}, {3}, {4}]
    assert {f["value"] for f in result.findings_of("blocked")} == {"info@shop.ua", "admin@a.ua"}


def test_invalid_email_and_phone_are_reported_and_do_not_link(tmp_path: Path) -> None:
    rows = [{"email": "olena@@ukr.net", "phone": "+999123"}] * 2
    result = resolve_rows(tmp_path, rows)
    assert result.groups() == [{1}, {2}]
    assert {(f["identifier"], f["records"]) for f in result.findings_of("invalid")} == {("email", "2"), ("phone", "2")}
    # Nothing is lost: the invalid values stay in the output.
    assert result.contact(1)["email_other"] == "olena@@ukr.net"


def test_gmail_dots_tags_and_googlemail_read_as_one_mailbox(tmp_path: Path) -> None:
    rows = [{"email": "J.Smith+news@GoogleMail.com"}, {"email": "jsmith@gmail.com"}, {"email": "j.smith@ukr.net"}]
    result = resolve_rows(tmp_path, rows)
    assert result.groups() == [{1, 2}, {3}]


def test_gmail_rules_can_be_switched_off(tmp_path: Path) -> None:
    config = tmp_path / "idmerge.toml"
    config.write_text("gmail_rules = false\n", encoding="utf-8")
    result = resolve_rows(tmp_path, [{"email": "j.smith@gmail.com"}, {"email": "jsmith@gmail.com"}], config=config)
    assert result.groups() == [{1}, {2}]


def test_phone_formats_read_as_one_number(tmp_path: Path) -> None:
    writings = ["+380671234567", "0671234567", "(067) 123-45-67", "380671234567", "+38 (067) 123 45 67"]
    result = resolve_rows(tmp_path, [{"phone": p} for p in writings])
    assert result.groups() == [{1, 2, 3, 4, 5}]
    assert result.contact(1)["phone"] == "+38 (067) 123 45 67"


def test_phone_without_country_code_is_written_in_e164(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path, [{"phone": "(067) 123-45-67", "updated_at": "2024-01-02"}, {"phone": "+380671234567"}]
    )
    assert result.contact(1)["phone"] == "+380671234567"


def test_region_is_inferred_from_numbers_with_a_country_code(tmp_path: Path) -> None:
    rows = [
        {"phone": "+380671234567"},
        {"phone": "0671234567"},
        {"phone": "+48 601 234 567"},
        {"phone": "+380501112233"},
    ]
    result = resolve_rows(tmp_path, rows, region=None)
    assert result.groups() == [{1, 2}, {3}, {4}]


def test_without_region_numbers_without_country_code_are_invalid(tmp_path: Path) -> None:
    result = resolve_rows(tmp_path, [{"phone": "0671234567"}, {"phone": "0671234567"}], region=None)
    assert result.groups() == [{1}, {2}]
    assert [f["identifier"] for f in result.findings_of("invalid")] == ["phone"]


def test_token_of_two_owners_stays_with_the_most_recent(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "E1", "device_id": "D1", "updated_at": "2024-01-01"},
            {"external_id": "E2", "device_id": "D2", "updated_at": "2024-01-01"},
            {"device_id": "D1", "mobile_push_token": "T", "updated_at": "2024-03-01"},
            {"device_id": "D2", "mobile_push_token": "T", "updated_at": "2024-02-01"},
        ],
    )
    # device_id: row 3 joins E1, row 4 joins E2; the token then has two owners.
    assert result.groups() == [{1, 3}, {2, 4}]
    moved = result.findings_of("moved")
    assert [(f["identifier"], f["value"]) for f in moved] == [("mobile_push_token", "T")]
    assert moved[0]["moved_to"] == result.contact_of(1)
    assert result.contact(1)["mobile_push_token"] == "T"
    assert result.contact(2)["mobile_push_token"] == ""


def test_anonymous_record_seen_with_two_owners_devices_joins_neither(tmp_path: Path) -> None:
    config = tmp_path / "idmerge.toml"
    config.write_text('[columns]\n"second device" = "device_id"\n', encoding="utf-8")
    header = ["external_id", "device_id", "second device", "cookie"]
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "E1", "device_id": "D1"},
            {"external_id": "E2", "device_id": "D2"},
            {"device_id": "D1", "second device": "D2", "cookie": "c1"},
            {"cookie": "c1"},
        ],
        header=header,
        config=config,
    )
    assert result.groups() == [{1}, {2}, {3, 4}]
    conflicts = [(f["identifier"], f["value"]) for f in result.findings_of("conflict")]
    assert conflicts == [("device_id", "D1"), ("device_id", "D2")]


def test_anonymous_records_sharing_a_cookie_form_one_anonymous_contact(tmp_path: Path) -> None:
    result = resolve_rows(tmp_path, [{"cookie": "c1"}, {"cookie": "c1", "system_id": "7"}, {"cookie": "c2"}])
    assert result.groups() == [{1, 2}, {3}]


def test_bare_push_subscriber_with_system_id_folds_into_registered_contact(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        [
            {"system_id": "501", "mobile_push_token": "tok"},
            {"external_id": "E1", "email": "a@x.com", "mobile_push_token": "tok"},
        ],
    )
    assert result.groups() == [{1, 2}]
    assert result.contact(1)["system_id"] == "input.csv:501"


def test_survivor_is_the_most_recent_non_blank_value(tmp_path: Path) -> None:
    header = ["external_id", "email", "First Name", "City", "updated_at"]
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "K", "email": "new@x.com", "First Name": "Olena", "City": "", "updated_at": "2024-05-01"},
            {
                "external_id": "K",
                "email": "old@x.com",
                "First Name": "Olenka",
                "City": "Lviv",
                "updated_at": "2023-01-01",
            },
            {"external_id": "K", "email": "", "First Name": "", "City": "", "updated_at": ""},
        ],
        header=header,
    )
    contact = result.contact(1)
    assert contact["first_name"] == "Olena"
    assert contact["City"] == "Lviv"
    assert contact["email"] == "new@x.com"
    assert contact["email_other"] == "old@x.com"
    assert contact["updated_at"] == "2024-05-01 00:00:00"


def test_dates_in_day_first_format_are_read(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "E1", "device_id": "D1", "updated_at": "05.01.2024"},
            {"external_id": "E2", "device_id": "D1", "updated_at": "01.05.2024"},
            {"external_id": "E3", "updated_at": "31.12.2023"},
        ],
    )
    assert result.contact(2)["device_id"] == "D1"


def test_second_run_on_contacts_merges_nothing_more(tmp_path: Path) -> None:
    first = resolve_rows(
        tmp_path,
        [
            {
                "external_id": "E1",
                "email": "a@x.com",
                "phone": "0671234567",
                "device_id": "D1",
                "updated_at": "2024-01-01",
            },
            {"external_id": "E2", "device_id": "D1", "updated_at": "2024-02-01"},
            {"email": "A@x.com", "system_id": "9", "cookie": "c1"},
            {"cookie": "c1"},
            {"external_id": "E4", "email": "fam@x.com"},
            {"external_id": "E5", "email": "fam@x.com"},
            {"email": "test@test.com"},
        ],
    )
    second = resolve_files(tmp_path, [first.out / "contacts.csv"], out_name="out2")
    assert len(second.contacts) == len(first.contacts)
    assert [f["kind"] for f in second.findings] == ["conflict", "blocked", "no_identifier"]
    # Ids come from identifiers, so they survive the round trip; a contact with
    # no usable identifier is named after its record's content, which differs.
    identified = [c for c in first.contacts if c["email"] or c["external_id"] or c["cookie"]]
    assert {c["contact_id"] for c in identified} <= {c["contact_id"] for c in second.contacts}
    assert [c["system_id"] for c in second.contacts if c["system_id"]] == ["input.csv:9"]


def test_link_made_possible_by_a_later_step_is_made_so_a_rerun_merges_nothing(tmp_path: Path) -> None:
    # Found by Hypothesis. In the first pass the phone step sees rows 2+5 with no
    # key yet: +380931112233 and +380671234567 form one component reaching E3 and
    # E1, so neither links. The system_id step then gives rows 2+5 the key E3; on
    # the next pass +380671234567 is set aside (E1 against E3) and +380931112233
    # links row 3, as a second run over the output would.
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "E3", "phone": "+380931112233"},
            {"email": "b@x.com", "phone": "(067) 123-45-67", "system_id": "2"},
            {"phone": "+380931112233"},
            {"external_id": "E3", "system_id": "2"},
            {"email": "b@x.com", "phone": "+380931112233"},
            {"external_id": "E1", "phone": "+380671234567"},
        ],
    )
    assert result.groups() == [{1, 2, 3, 4, 5}, {6}]
    assert [(f["kind"], f["value"]) for f in result.findings] == [("conflict", "+380671234567")]
    second = resolve_files(tmp_path, [result.out / "contacts.csv"], out_name="out2")
    assert len(second.contacts) == 2


def test_without_a_source_key_identifier_keys_and_devices_link_across_files(tmp_path: Path) -> None:
    # A config that makes system_id personal leaves no identifier of kind
    # source_key: then nothing is read as a per-file value, and an external id
    # or a cookie in two files is one value.
    config = tmp_path / "idmerge.toml"
    config.write_text('[identifiers.system_id]\nkind = "personal"\n', encoding="utf-8")
    a = write_csv(tmp_path / "a.csv", [{"external_id": "E1"}, {"email": "x@y.com", "cookie": "c1"}])
    b = write_csv(tmp_path / "b.csv", [{"external_id": "E1", "email": "e@y.com"}, {"cookie": "c1"}])
    result = resolve_files(tmp_path, [a, b], config=config)
    assert result.contact_of(1, "a.csv") == result.contact_of(1, "b.csv")
    assert result.contact_of(2, "a.csv") == result.contact_of(2, "b.csv")
    assert result.contact_of(1, "a.csv") != result.contact_of(2, "a.csv")
    assert {c["external_id"] for c in result.contacts} == {"E1", ""}


def test_a_contact_whose_values_all_other_contacts_hold_too_is_named_after_its_content(tmp_path: Path) -> None:
    # The phone is shared by two contacts kept apart (E1, E2), so the third
    # record keeps it but cannot be named after it: its id is a hash of its
    # record's content (survive.hash_rows picks such records before linking).
    lone = {"phone": "+380931112233", "updated_at": "2024-01-01"}
    rows = [{"external_id": "E1", "phone": "+380931112233"}, {"external_id": "E2", "phone": "+380931112233"}, lone]
    cells = "\x1f".join(["input.csv", *(lone.get(h, "") for h in HEADER)])
    named = "c" + hashlib.md5(("rows\x1f" + hashlib.md5(cells.encode()).hexdigest()).encode()).hexdigest()[:16]
    for order in (rows, rows[::-1]):
        result = resolve_rows(tmp_path, order)
        assert len(result.contacts) == 3
        row = next(m for m in result.membership if result.contact(int(m["row"]))["external_id"] == "")
        assert row["contact_id"] == named


def test_a_contact_is_named_after_the_least_of_its_highest_priority_values(tmp_path: Path) -> None:
    # Two records joined by a phone each bring an email only they hold: both
    # emails are the contact's own, and email outranks phone, so the id is a
    # hash of the email that sorts first, whichever row comes first.
    rows = [
        {"email": "zoe@x.com", "phone": "+380931112233"},
        {"email": "ann@x.com", "phone": "+380931112233"},
    ]
    named = "c" + hashlib.md5(b"email\x1fann@x.com").hexdigest()[:16]
    for order in (rows, rows[::-1]):
        result = resolve_rows(tmp_path, order)
        assert [c["contact_id"] for c in result.contacts] == [named]
