"""Config overrides change the rules as documented; bad configs are refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matchers import ConfigError
from matchers.config import load_config
from tests.engine.helpers import resolve_rows

EXAMPLE_6 = [
    {"external_id": "E1", "phone": "+380671234567"},
    {"email": "a@x.com", "phone": "0671234567"},
    {"external_id": "E2", "email": "a@x.com"},
]


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "idmerge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_priority_puts_phone_before_email(tmp_path: Path) -> None:
    config = _config(tmp_path, 'priority = ["external_id", "phone", "email"]\n')
    result = resolve_rows(tmp_path, EXAMPLE_6, config=config)
    assert result.groups() == [{1, 2}, {3}]
    assert [(f["identifier"], f["value"]) for f in result.findings_of("conflict")] == [("email", "a@x.com")]


def test_kind_override_makes_phone_a_device(tmp_path: Path) -> None:
    # As a device, a phone held by two identified contacts moves instead of linking.
    config = _config(tmp_path, '[identifiers.phone]\nkind = "device"\n')
    rows = [
        {"email": "a@x.com", "phone": "+380671234567", "updated_at": "2024-01-01"},
        {"email": "b@x.com", "phone": "+380671234567", "updated_at": "2024-02-01"},
    ]
    result = resolve_rows(tmp_path, rows, config=config)
    assert result.groups() == [{1}, {2}]
    assert [f["identifier"] for f in result.findings_of("moved")] == ["phone"]


def test_custom_identifier_from_a_mapped_column(tmp_path: Path) -> None:
    config = _config(
        tmp_path, '[columns]\n"Loyalty card" = "loyalty_card"\n\n[identifiers.loyalty_card]\nkind = "personal"\n'
    )
    header = ["email", "Loyalty card"]
    rows = [{"email": "a@x.com", "Loyalty card": "LC-1"}, {"email": "b@x.com", "Loyalty card": "LC-1"}]
    result = resolve_rows(tmp_path, rows, header=header, config=config)
    assert result.groups() == [{1, 2}]
    assert result.contact(1)["loyalty_card"] == "LC-1"


def test_column_mapped_to_ignore_is_not_an_identifier(tmp_path: Path) -> None:
    config = _config(tmp_path, '[columns]\n"Phone Number" = "ignore"\n')
    header = ["email", "Phone Number"]
    rows = [
        {"email": "a@x.com", "Phone Number": "+380671234567"},
        {"email": "b@x.com", "Phone Number": "+380671234567"},
    ]
    result = resolve_rows(tmp_path, rows, header=header, config=config)
    assert result.groups() == [{1}, {2}]
    assert result.contact(1)["Phone Number"] == "+380671234567"


def test_over_shared_threshold_from_config(tmp_path: Path) -> None:
    config = _config(tmp_path, "over_shared = 2\n")
    rows = [{"external_id": f"E{i}", "phone": "+380441234567"} for i in range(3)]
    result = resolve_rows(tmp_path, rows, config=config)
    assert [f["kind"] for f in result.findings] == ["over_shared"]


def test_region_from_config(tmp_path: Path) -> None:
    config = _config(tmp_path, 'region = "PL"\n')
    result = resolve_rows(tmp_path, [{"phone": "601 234 567"}, {"phone": "+48601234567"}], config=config, region=None)
    assert result.groups() == [{1, 2}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "colour = 1\n",
            "unknown key 'colour' in the config; allowed keys: check, columns, consent, gmail_rules, identifiers, "
            "over_shared, prefer, preset, priority, region, split",
        ),
        (
            "[identifiers.email]\nlimt = 3\n",
            "unknown key 'limt' in [identifiers.email]; allowed keys: blocked, blocked_patterns, kind, limit",
        ),
        (
            '[identifiers.email]\nkind = "key"\n',
            "only one identifier may be of kind key, found external_id, email; make the others personal",
        ),
        ("[identifiers.email]\nlimit = 0\n", "[identifiers.email] limit must be a whole number of at least 1"),
        (
            "[identifiers.card]\nlimit = 2\n",
            "[identifiers.card] is a new identifier: give its kind (key, personal, source_key, device, anonymous)",
        ),
        ('priority = ["mail"]\n', "priority names unknown identifier 'mail'"),
        (
            '[columns]\n"Mail" = "e-mail"\n',
            "[columns] maps 'Mail' to unknown 'e-mail'; use an identifier, first_name, last_name, updated_at or ignore",
        ),
        ('[identifiers.email]\nblocked_patterns = ["(x"]\n', "[identifiers.email] blocked pattern '(x'"),
        ('region = "XX"\n', "region: 'XX' is not a phone region; use a two-letter country code such as UA"),
        ('[split]\n"Emails" = ""\n', '[split] maps column headers to separator characters, e.g. "Emails" = ",;"'),
        ('consent = "yes"\n', "[consent] maps column headers to tables such as"),
        ('[consent]\n"S" = { channel = "email", read = "maybe" }\n', "read must be one of status, optout, optin"),
        (
            '[consent]\n"S" = { channel = "email", values = { "x" = "gone" } }\n',
            "value 'x' maps to 'gone'; use one of subscribed, pending, not_subscribed, unknown",
        ),
        ('preset = "sendgrid"\n', "preset 'sendgrid' is not a known preset; known: bitrix24, braze"),
        ('prefer = "crm.csv"\n', 'prefer must be a list of source names, e.g. ["crm.csv"]'),
    ],
)
def test_bad_config_is_refused_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ") or str(info.value).startswith(f"{path}: region")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "other"\n[detect]\nall = ["Email"]\n', "name must be 'bad', the file's stem"),
        ('name = "bad"\n[detect]\nall = []\n', "detect.all must name at least one header"),
        ('name = "bad"\nlayout = 1\n[detect]\nall = ["Email"]\n', "unknown key 'layout'"),
        ('name = "bad"\n[detect]\nall = ["E"]\n[columns]\n"E" = "mail"\n', "'E' maps to unknown role 'mail'"),
        ('name = "bad"\n[detect]\nall = ["E"]\n[import]\ndelimiter = ";;"\n', "delimiter must be one character"),
        ('name = "bad"\n[detect]\nall = ["E"]\n[import]\nencoding = "koi8-r"\n', "encoding must be one of"),
        ('name = "bad"\n[detect]\nall = ["E"]\n[import]\n[import.columns]\n', "columns must name at least one"),
    ],
)
def test_bad_preset_file_is_refused(text: str, message: str) -> None:
    from matchers.identifiers import DEFAULT_IDENTIFIERS
    from matchers.preset import parse_preset

    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_preset("bad", text, set(DEFAULT_IDENTIFIERS))
