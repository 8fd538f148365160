"""Detect which input column holds which identifier, from its header.

Headers are compared after folding: lower-cased, with every run of characters
other than letters and digits turned into one space, so ``E-mail``, ``e_mail``
and ``E Mail`` all read as ``e mail``.
"""

from __future__ import annotations

import re

from matchers.identifiers import OTHER_SUFFIX, UPDATED_AT

_SPELLINGS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "external id",
        "externalid",
        "external customer id",
        "externalcustomerid",
        "ext id",
        "user id",
        "userid",
        "customer id",
        "customerid",
        "client id",
        "crm id",
        "внешний id",
        "внешний идентификатор",
        "id клиента",
        "зовнішній id",
        "зовнішній ідентифікатор",
        "id клієнта",
    ),
    "email": (
        "email",
        "e mail",
        "email address",
        "e mail address",
        "emailaddress",
        "email адрес",
        "mail",
        "эл почта",
        "электронная почта",
        "почта",
        "емейл",
        "ел пошта",
        "електронна пошта",
        "пошта",
        "адрес электронной почты",
        "адреса електронної пошти",
    ),
    "phone": (
        "phone",
        "phone number",
        "phonenumber",
        "phone_number",
        "mobile",
        "mobile phone",
        "mobile phone number",
        "mobile number",
        "cell phone",
        "sms",
        "msisdn",
        "telephone",
        "tel",
        "телефон",
        "номер телефона",
        "мобильный телефон",
        "мобильный",
        "номер телефону",
        "мобільний телефон",
        "мобільний",
    ),
    "system_id": (
        "system id",
        "systemid",
        "contact id",
        "contactid",
        "id контакта",
        "id контакту",
        "leid",
        "euid",
        "klaviyo id",
        "record id",
        "braze id",
        "appboy id",
        "cio id",
        "subscriber id",
    ),
    "user_pseudo_id": ("user pseudo id", "userpseudoid", "app instance id", "pseudo id"),
    "device_id": ("device id", "deviceid", "device", "id устройства", "id пристрою"),
    "mobile_push_token": (
        "mobile push token",
        "push token",
        "mobilepushtoken",
        "fcm token",
        "apns token",
        "mobile push",
    ),
    "web_push_token": ("web push token", "webpush token", "webpushtoken", "web push"),
    "telegram_id": ("telegram id", "telegram", "telegram token", "telegramid", "telegram chat id"),
    "ad_id": (
        "ad id",
        "adid",
        "idfa",
        "aaid",
        "gaid",
        "advertising id",
        "google ad id",
        "google ad ids",
        "idfas",
    ),
    "cookie": ("cookie", "cookie id", "cookieid", "browser cookie", "visitor id", "anonymous id"),
    UPDATED_AT: (
        "updated at",
        "updatedat",
        "updated",
        "last updated",
        "last changed",
        "last modified",
        "modified",
        "modified time",
        "modified at",
        "modified date",
        "last modified date",
        "last activity date",
        "last activity",
        "update date",
        "date updated",
        "дата изменения",
        "дата обновления",
        "дата зміни",
        "дата оновлення",
    ),
}


#: Name fields: carried like any data column, but written under one name whatever the export called them.
_FIELD_SPELLINGS: dict[str, tuple[str, ...]] = {
    "first_name": (
        "first name",
        "firstname",
        "given name",
        "fname",
        "prenom",
        "prénom",
        "vorname",
        "имя",
        "ім я",
        "імя",
    ),
    "last_name": (
        "last name",
        "lastname",
        "surname",
        "family name",
        "lname",
        "nom",
        "nachname",
        "фамилия",
        "прізвище",
    ),
}

#: Subscription-status columns: folded header -> (channel, how its values read).
#: "status" cells hold words, "optout" cells say yes/a date when the person opted out,
#: "optin" cells say yes/a date when they opted in (matchers/consent.py).
_CONSENT_SPELLINGS: dict[tuple[str, str], tuple[str, ...]] = {
    ("email", "status"): (
        "email status",
        "email subscription status",
        "email subscription",
        "email subscribe",
        "email marketing consent",
        "email consent",
        "subscription status",
        "subscriber status",
        "member status",
        "статус подписки",
        "статус підписки",
    ),
    ("sms", "status"): (
        "sms status",
        "phone status",
        "sms subscription status",
        "sms subscription",
        "sms subscribe",
        "sms marketing consent",
        "sms consent",
    ),
    ("push", "status"): ("push status", "push subscribe", "push subscription status", "push subscription"),
    ("email", "optout"): (
        "unsubscribed",
        "email unsubscribed",
        "unsubscribed from emails at",
        "unsubscribed from all email",
        "email opt out",
        "email optout",
        "opted out",
        "opt out",
        "do not email",
        "email blacklisted",
        "blacklisted",
        "unsub time",
    ),
    ("sms", "optout"): ("sms blacklisted", "sms opt out", "sms unsubscribed", "unsubscribed from sms at"),
    ("push", "optout"): ("unsubscribed from push at", "push opt out"),
    ("email", "optin"): ("accepts marketing", "accepts email marketing", "email opt in", "email optin", "subscribed"),
    ("sms", "optin"): ("sms opt in", "accepts sms marketing"),
    ("push", "optin"): ("opted into push at", "push opt in"),
}


def fold(header: str) -> str:
    """Fold a header for comparison: ``"E-Mail Address"`` -> ``"e mail address"``."""
    return re.sub(r"[^\w]+|_", " ", header.casefold()).strip()


_BY_FOLDED: dict[str, str] = {}
for _name, _spellings in _SPELLINGS.items():
    _BY_FOLDED[fold(_name)] = _name
    for _spelling in _spellings:
        _BY_FOLDED[fold(_spelling)] = _name


def detect(header: str) -> str | None:
    """The canonical identifier (or ``updated_at``) a header names, or None.

    >>> detect("Email Address"), detect("Номер телефону"), detect("Notes")
    ('email', 'phone', None)
    """
    folded = fold(header)
    if folded.endswith(fold(OTHER_SUFFIX)) and folded != fold(OTHER_SUFFIX):
        # idmerge's own "<identifier>_other" column, read back on a second run.
        base = folded[: -len(fold(OTHER_SUFFIX))].strip()
        return _BY_FOLDED.get(base)
    return _BY_FOLDED.get(folded)


def is_other(header: str) -> bool:
    """Whether a header is idmerge's own ``<identifier>_other`` column (several values)."""
    folded = fold(header)
    suffix = fold(OTHER_SUFFIX)
    return folded.endswith(suffix) and folded != suffix and detect(header) is not None


_FIELD_BY_FOLDED = {fold(sp): name for name, sps in _FIELD_SPELLINGS.items() for sp in (name, *sps)}
_CONSENT_BY_FOLDED = {fold(sp): key for key, sps in _CONSENT_SPELLINGS.items() for sp in sps}


def detect_field(header: str) -> str | None:
    """``first_name`` or ``last_name`` when a header names one.

    >>> detect_field("First Name"), detect_field("Прізвище"), detect_field("City")
    ('first_name', 'last_name', None)
    """
    return _FIELD_BY_FOLDED.get(fold(header))


def detect_consent(header: str) -> tuple[str, str] | None:
    """(channel, reading) when a header names a subscription status.

    >>> detect_consent("Email Marketing Consent"), detect_consent("SMS_BLACKLISTED")
    (('email', 'status'), ('sms', 'optout'))
    """
    return _CONSENT_BY_FOLDED.get(fold(header))
