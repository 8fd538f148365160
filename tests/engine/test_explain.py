"""``matchers.explain``: the chain of links and what was kept apart, read back from result folders.

Every test runs the real engine on real files in ``tmp_path`` and explains its
output folder; the worked examples of MATCHING.md come first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matchers import InputError, RunOptions, run
from matchers.db import Database
from matchers.explain import (
    ContactExplanation,
    Explanation,
    KeptApart,
    QueryNotFound,
    attach_result,
    explain,
    explain_contacts,
)
from tests.engine.helpers import (
    EXAMPLE_1,
    EXAMPLE_2,
    EXAMPLE_3,
    EXAMPLE_6,
    read_csv,
    resolve_files,
    resolve_rows,
    write_csv,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "sample_data" / "esputnik_export.csv", ROOT / "sample_data" / "mailchimp_export.csv"]


def links_of(contact: ContactExplanation) -> set[tuple[str, str, str, str]]:
    """(parent row, identifier, value, child row) of each link, rows as 'input.csv:N' -> 'N'."""
    return {
        (link.parent.rsplit(":", 1)[1], link.identifier, link.value, link.child.rsplit(":", 1)[1])
        for link in contact.links
    }


def only(result: Explanation) -> ContactExplanation:
    assert len(result.contacts) == 1, [c.contact_id for c in result.contacts]
    return result.contacts[0]


def kept(contact: ContactExplanation, kind: str) -> list[KeptApart]:
    return [k for k in contact.kept_apart if k.kind == kind]


# --- MATCHING.md worked examples --------------------------------------------------------------


def test_example_1_key_then_cookie_and_pseudo_id_join_four_records(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_1,
    )
    contact = only(explain(result.out, "E1"))
    assert contact.records_total == 4
    # The tree starts at the first record with the highest-priority link (the key) and
    # reads in priority order: external_id, then user_pseudo_id, then cookie.
    assert contact.root == "input.csv:3"
    assert links_of(contact) == {
        ("3", "external_id", "E1", "4"),
        ("4", "user_pseudo_id", "p1", "2"),
        ("3", "cookie", "c1", "1"),
    }
    assert contact.links_by_identifier == {"external_id": 1, "user_pseudo_id": 1, "cookie": 1}
    assert [r.ref for r in contact.records] == ["input.csv:3", "input.csv:4", "input.csv:2", "input.csv:1"]
    assert contact.unlinked == [] and contact.kept_apart == []


def test_example_1_the_record_asked_about_is_the_root(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_1,
    )
    explained = explain(result.out, "input.csv:1")
    assert explained.matched_as == "record"
    contact = only(explained)
    assert contact.root == "input.csv:1"
    assert [(link.depth, link.identifier, link.child) for link in contact.links] == [
        (1, "cookie", "input.csv:3"),
        (2, "external_id", "input.csv:4"),
        (3, "user_pseudo_id", "input.csv:2"),
    ]


def test_example_2_moved_device_names_both_contacts(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_2,
    )
    first, second = result.contact_of(1), result.contact_of(2)
    loser = only(explain(result.out, "input.csv:1"))
    assert loser.links == []
    [move] = kept(loser, "moved")
    assert (move.identifier, move.value, move.moved_from, move.moved_to) == ("device_id", "D1", first, second)
    assert move.other_contacts == [second] and move.other_keys == {second: ["E2"]}
    assert f"moved to {second}" in move.reason
    assert [(v.identifier, v.value, v.status) for v in loser.records[0].values] == [
        ("external_id", "E1", "ok"),
        ("device_id", "D1", "moved"),
    ]
    owner = only(explain(result.out, second))
    [stays] = kept(owner, "moved")
    assert stays.value == "D1" and "stays here" in stays.reason and first in stays.reason


def test_example_2_querying_the_device_shows_both_contacts(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_2,
    )
    explained = explain(result.out, "D1")
    assert explained.matched_as == "value"
    assert sorted((m.identifier, m.value, m.status, m.records) for m in explained.matches) == [
        ("device_id", "D1", "moved", 1),
        ("device_id", "D1", "ok", 1),
    ]
    assert {c.contact_id for c in explained.contacts} == {result.contact_of(1), result.contact_of(2)}


def test_example_3_family_email_is_the_conflict_that_separates(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_3,
    )
    explained = explain(result.out, "FAM@x.com")
    assert [(m.identifier, m.value, m.records, m.contacts) for m in explained.matches] == [("email", "fam@x.com", 3, 3)]
    assert explained.contact_count == 3
    for contact in explained.contacts:
        assert contact.links == []
        [conflict] = kept(contact, "conflict")
        assert (conflict.identifier, conflict.value, conflict.other_count) == ("email", "fam@x.com", 2)
    bare = next(c for c in explained.contacts if c.contact_id == result.contact_of(3))
    [conflict] = kept(bare, "conflict")
    assert conflict.other_keys == {result.contact_of(1): ["E4"], result.contact_of(2): ["E5"]}
    assert "two external_id values in one contact" in conflict.reason
    e4 = next(c for c in explained.contacts if c.contact_id == result.contact_of(1))
    assert kept(e4, "conflict")[0].reason.startswith("this contact has external_id E4; it is also on")


def test_example_4_email_written_two_ways_is_the_link(tmp_path: Path) -> None:
    result = resolve_rows(tmp_path, [{"email": " John@Shop.UA "}, {"email": "john@shop.ua"}])
    contact = only(explain(result.out, " John@Shop.UA "))
    assert links_of(contact) == {("1", "email", "john@shop.ua", "2")}
    assert contact.fields["email"] == "john@shop.ua"


def test_example_5_junk_email_is_what_kept_three_records_apart(tmp_path: Path) -> None:
    result = resolve_rows(tmp_path, [{"email": "test@test.com"}] * 3)
    explained = explain(result.out, "test@test.com")
    assert [(m.identifier, m.value, m.status, m.contacts) for m in explained.matches] == [
        ("email", "test@test.com", "blocked", 3)
    ]
    for contact in explained.contacts:
        assert contact.links == []
        assert [(k.kind, k.identifier, k.value) for k in contact.kept_apart] == [
            ("blocked", "email", "test@test.com"),
            ("no_identifier", None, contact.root),
        ]


def test_example_6_email_joins_and_phone_conflict_separates(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        EXAMPLE_6,
    )
    joined = only(explain(result.out, "input.csv:3"))
    assert links_of(joined) == {("3", "email", "a@x.com", "2")}
    [conflict] = kept(joined, "conflict")
    assert (conflict.identifier, conflict.value) == ("phone", "+380671234567")
    assert conflict.other_keys == {result.contact_of(1): ["E1"]}
    alone = only(explain(result.out, "input.csv:1"))
    assert alone.links == []
    [conflict] = kept(alone, "conflict")
    assert (conflict.identifier, conflict.value) == ("phone", "+380671234567")
    assert "this contact has external_id E1" in conflict.reason and "external_id E2" in conflict.reason


# --- reading the query ------------------------------------------------------------------------


def test_query_by_contact_id_record_and_value_forms(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "E1", "phone": "+380671234567"},
            {"email": "Ann.Lee@GoogleMail.com", "phone": "067 123 45 67"},
        ],
    )
    cid = result.contact_of(1)
    for query, how in [
        (cid, "contact"),
        ("input.csv:2", "record"),
        ("(067) 123-45-67", "value"),
        ("annlee+news@gmail.com", "value"),
        ("E1", "value"),
    ]:
        explained = explain(result.out, query)
        assert explained.matched_as == how, query
        assert [c.contact_id for c in explained.contacts] == [cid], query


def test_source_key_found_with_or_without_its_file_prefix(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        [{"system_id": "101", "device_id": "D1"}, {"system_id": "101", "mobile_push_token": "T1"}],
    )
    for query in ("101", "input.csv:101"):
        contact = only(explain(result.out, query))
        assert links_of(contact) == {("1", "system_id", "input.csv:101", "2")}


def test_value_in_many_contacts_explains_the_largest_first(tmp_path: Path) -> None:
    rows = [{"external_id": f"E{i}", "email": "n/a"} for i in range(14)] + [{"external_id": "E0", "email": "N/A"}]
    result = resolve_rows(tmp_path, rows)
    explained = explain(result.out, "N/A")
    assert explained.contact_count == 14 and len(explained.contacts) == 10
    assert explained.contacts[0].contact_id == result.contact_of(1)
    assert explained.contacts[0].records_total == 2


def test_unknown_query_and_bad_folders(tmp_path: Path) -> None:
    result = resolve_rows(tmp_path, [{"email": "a@x.com"}])
    with pytest.raises(QueryNotFound):
        explain(result.out, "b@x.com")
    with pytest.raises(QueryNotFound):
        explain(result.out, "input.csv:99")
    with pytest.raises(InputError, match="no such folder"):
        explain(tmp_path / "missing", "a@x.com")
    with pytest.raises(InputError, match="not an idmerge result"):
        explain(tmp_path, "a@x.com")
    (result.out / "links.csv").unlink()
    with pytest.raises(InputError, match="links.csv is missing"):
        explain(result.out, "a@x.com")


def test_parquet_result_and_a_folder_name_with_an_apostrophe(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [{"email": "a@x.com", "cookie": "k"}, {"cookie": "k"}])
    out = tmp_path / "O'Brien results"
    run([src], RunOptions(out=out, format="parquet", region="UA"))
    assert (out / "links.parquet").is_file()
    contact = only(explain(out, "a@x.com"))
    assert links_of(contact) == {("1", "cookie", "k", "2")}


# --- the links output -------------------------------------------------------------------------


def test_links_has_every_value_with_its_status_and_joins_findings(tmp_path: Path) -> None:
    result = resolve_rows(
        tmp_path,
        [
            {"external_id": "E1", "email": "N/A", "phone": "+3806712", "device_id": "D1", "updated_at": "2024-01-01"},
            {"external_id": "E2", "email": "b@x.com", "device_id": "D1", "updated_at": "2024-02-01"},
        ],
    )
    links = read_csv(result.out / "links.csv")
    assert [(r["row"], r["identifier"], r["value"], r["status"]) for r in links] == [
        ("1", "external_id", "E1", "ok"),
        ("1", "email", "n/a", "blocked"),
        ("1", "phone", "+3806712", "invalid"),
        ("1", "device_id", "D1", "moved"),
        ("2", "external_id", "E2", "ok"),
        ("2", "email", "b@x.com", "ok"),
        ("2", "device_id", "D1", "ok"),
    ]
    findings = {(f["identifier"], f["value"]) for f in result.findings}
    screened = {(r["identifier"], r["value"]) for r in links if r["status"] != "ok"}
    assert screened <= findings


def test_every_record_of_every_sample_contact_is_reached_by_a_link(tmp_path: Path) -> None:
    result = resolve_files(tmp_path, SAMPLES)
    ids = sorted({m["contact_id"] for m in result.membership})
    db = Database()
    try:
        # All 45 at once: explaining several contacts is one pass over the files.
        explained = explain_contacts(db, attach_result(db, result.out), ids)
    finally:
        db.close()
    assert [c.contact_id for c in explained] == ids
    assert sum(c.records_total for c in explained) == 65
    for contact in explained:
        assert contact.unlinked == [], contact.contact_id
        assert len(contact.links) == contact.records_total - 1, contact.contact_id


def test_sample_data_scenarios_name_their_link_or_finding(tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(resolve_files(tmp_path, SAMPLES).out, out)
    olena = only(explain(out, "olena.koval@googlemail.com"))
    assert olena.links_by_identifier == {"email": 3, "telegram_id": 1}
    counter = explain(out, "(044) 390-12-34")
    assert counter.contact_count == 6
    limit = kept(counter.contacts[0], "limit")[0]
    assert limit.value == "+380443901234" and "6 email values (limit 5)" in limit.reason
    guest = only(explain(out, "esputnik_export.csv:27"))
    assert links_of(guest) == {("27", "system_id", "esputnik_export.csv:104827357", "28")}
    assert sorted(k.kind for k in guest.kept_apart) == ["conflict", "conflict"]
    assert only(explain(out, "esputnik_export.csv:40")).kept_apart[0].kind == "no_identifier"


def test_links_of_a_record_with_several_values_of_one_identifier_are_ordered_by_value(tmp_path: Path) -> None:
    # With no identifier of several values, links are sorted by record and identifier
    # alone (explain.sorted_links); here the second email column sorts first.
    header = ["external_id", "email", "Email address"]
    rows = [
        {"external_id": "E2", "email": "z@x.com", "Email address": "a@x.com"},
        {"external_id": "E1", "email": "m@x.com", "Email address": "b@x.com"},
    ]
    links = read_csv(resolve_rows(tmp_path, rows, header=header).out / "links.csv")
    assert [(r["row"], r["identifier"], r["value"]) for r in links] == [
        ("1", "external_id", "E2"),
        ("1", "email", "a@x.com"),
        ("1", "email", "z@x.com"),
        ("2", "external_id", "E1"),
        ("2", "email", "b@x.com"),
        ("2", "email", "m@x.com"),
    ]


def test_one_placeholder_written_two_ways_in_one_record_is_one_links_row(tmp_path: Path) -> None:
    header = ["external_id", "device_id", "Device ID"]
    result = resolve_rows(tmp_path, [{"external_id": "E1", "device_id": "N/A", "Device ID": "n/a"}], header=header)
    links = read_csv(result.out / "links.csv")
    assert [(r["identifier"], r["value"], r["status"]) for r in links] == [
        ("external_id", "E1", "ok"),
        ("device_id", "n/a", "blocked"),
    ]
    [match] = explain(result.out, "n/a").matches
    assert (match.identifier, match.records) == ("device_id", 1)
