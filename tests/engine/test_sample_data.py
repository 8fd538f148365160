"""The shipped sample exports give the outcome sample_data/README.md promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.helpers import Outcome, resolve_files

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
ES, MC = "esputnik_export.csv", "mailchimp_export.csv"


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    tmp = tmp_path_factory.mktemp("sample")
    return resolve_files(tmp, [SAMPLES / ES, SAMPLES / MC], region=None)


def _same(outcome: Outcome, *refs: tuple[str, int]) -> bool:
    return len({outcome.contact_of(row, source) for source, row in refs}) == 1


def test_sample_gives_45_contacts_from_65_records(outcome: Outcome) -> None:
    assert len(outcome.membership) == 65
    assert len(outcome.contacts) == 45


def test_sample_customer_with_four_email_spellings_is_one_contact(outcome: Outcome) -> None:
    assert _same(outcome, (ES, 1), (MC, 1), (MC, 5), (MC, 16), (ES, 37))
    contact = next(c for c in outcome.contacts if c["contact_id"] == outcome.contact_of(1, ES))
    assert contact["email"] == "olenakoval@gmail.com" and contact["email_other"] == ""


def test_sample_second_hand_phone_moves_to_newer_owner(outcome: Outcome) -> None:
    assert not _same(outcome, (ES, 4), (ES, 31))
    moved = outcome.findings_of("moved")
    assert [(f["moved_from"], f["moved_to"]) for f in moved] == [
        (outcome.contact_of(4, ES), outcome.contact_of(31, ES))
    ]


def test_sample_findings(outcome: Outcome) -> None:
    kinds = [(f["kind"], f["identifier"], f["value"]) for f in outcome.findings if f["kind"] in ("conflict", "limit")]
    assert ("conflict", "email", "bondarenko.family@ukr.net") in kinds
    assert ("conflict", "phone", "+380501112233") in kinds
    assert ("limit", "phone", "+380443901234") in kinds
    assert [f["value"] for f in outcome.findings_of("no_identifier")] == [f"{ES}:40"]


def test_sample_ids_repeated_across_exports_do_not_link(outcome: Outcome) -> None:
    assert not _same(outcome, (MC, 8), (ES, 1))
    assert not _same(outcome, (MC, 20), (ES, 18))
