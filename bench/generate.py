#!/usr/bin/env python3
"""Generate realistic, seeded marketing-contact exports with ground truth.

    python bench/generate.py --records 1000000 --seed 42 --out /tmp/idm1m [--format csv|parquet]

Writes into ``--out``:

``esputnik.<fmt>``
    ``Contact ID;External ID;Email;Phone Number;First Name;Last Name;City;User Pseudo ID;
    Device ID;Mobile Push Token;Web Push Token;Cookie;IDFA;Updated At`` (CSV with ``;``).
``mailchimp.<fmt>``
    ``Email Address,First Name,Last Name,Phone Number,LAST_CHANGED,LEID`` (CSV with ``,``).
``truth.csv``
    ``source,row,person_id``: ``source`` is the file name, ``row`` the 1-based record
    number in that file (header not counted).
``truth_detail.parquet``
    the same rows plus what the scorer needs to classify errors: ``link_group``
    (records the identity rules of MATCHING.md can join), ``reach_group`` (records
    joined by any usable identifier of the person, devices included),
    ``family_partner`` / ``transfer_partner`` and the record's ``role``.
``stats.json``
    counts of every generated situation.

Everything is vectorised: numpy draws every decision as an integer array, DuckDB
turns them into strings and writes the files.  The same ``--records``/``--seed``
always give the same files (for one DuckDB/numpy version).

Honesty of the truth: every identifier value that belongs to one person is
unique to that person (emails are de-duplicated on their gmail-canonical form,
phones/ids come from bijections).  The only values shared by different people
are the deliberate ones, and none of them may link under MATCHING.md:
placeholders and junk (blocked), one shop phone on many customers with
different External IDs (over-shared), family emails (two External IDs meet:
conflict), transferred devices (device values never merge identified
contacts), and Contact ID / LEID numbers that collide between the two files
(a source key links only inside one file).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


#: bump when the same --records/--seed would give different files (bench/run.py --data reuses by it)
GENERATOR_VERSION = 2

ESPUTNIK_COLUMNS = [
    "Contact ID",
    "External ID",
    "Email",
    "Phone Number",
    "First Name",
    "Last Name",
    "City",
    "User Pseudo ID",
    "Device ID",
    "Mobile Push Token",
    "Web Push Token",
    "Cookie",
    "IDFA",
    "Updated At",
]
MAILCHIMP_COLUMNS = ["Email Address", "First Name", "Last Name", "Phone Number", "LAST_CHANGED", "LEID"]

# ---------------------------------------------------------------------------
# vocabularies
# ---------------------------------------------------------------------------
FIRST_M = [
    ("Олександр", "Oleksandr"),
    ("Андрій", "Andrii"),
    ("Сергій", "Serhii"),
    ("Дмитро", "Dmytro"),
    ("Володимир", "Volodymyr"),
    ("Максим", "Maksym"),
    ("Іван", "Ivan"),
    ("Микола", "Mykola"),
    ("Олег", "Oleh"),
    ("Юрій", "Yurii"),
    ("Віталій", "Vitalii"),
    ("Богдан", "Bohdan"),
    ("Тарас", "Taras"),
    ("Артем", "Artem"),
    ("Денис", "Denys"),
    ("Роман", "Roman"),
    ("Василь", "Vasyl"),
    ("Євген", "Yevhen"),
    ("Ігор", "Ihor"),
    ("Павло", "Pavlo"),
    ("Назар", "Nazar"),
    ("Михайло", "Mykhailo"),
    ("Олексій", "Oleksii"),
    ("Віктор", "Viktor"),
    ("Костянтин", "Kostiantyn"),
]
FIRST_F = [
    ("Олена", "Olena"),
    ("Наталія", "Nataliia"),
    ("Ірина", "Iryna"),
    ("Тетяна", "Tetiana"),
    ("Оксана", "Oksana"),
    ("Юлія", "Yuliia"),
    ("Марія", "Mariia"),
    ("Світлана", "Svitlana"),
    ("Анна", "Anna"),
    ("Катерина", "Kateryna"),
    ("Людмила", "Liudmyla"),
    ("Вікторія", "Viktoriia"),
    ("Анастасія", "Anastasiia"),
    ("Христина", "Khrystyna"),
    ("Софія", "Sofiia"),
    ("Дарина", "Daryna"),
    ("Олександра", "Oleksandra"),
    ("Галина", "Halyna"),
    ("Інна", "Inna"),
    ("Алла", "Alla"),
    ("Ганна", "Hanna"),
    ("Валентина", "Valentyna"),
    ("Зоряна", "Zoriana"),
    ("Мирослава", "Myroslava"),
    ("Єва", "Yeva"),
]
LAST = [
    ("Шевченко", "Shevchenko"),
    ("Бондаренко", "Bondarenko"),
    ("Коваленко", "Kovalenko"),
    ("Бойко", "Boiko"),
    ("Ткаченко", "Tkachenko"),
    ("Кравченко", "Kravchenko"),
    ("Коваль", "Koval"),
    ("Олійник", "Oliinyk"),
    ("Шевчук", "Shevchuk"),
    ("Поліщук", "Polishchuk"),
    ("Лисенко", "Lysenko"),
    ("Мельник", "Melnyk"),
    ("Петренко", "Petrenko"),
    ("Марченко", "Marchenko"),
    ("Савченко", "Savchenko"),
    ("Руденко", "Rudenko"),
    ("Мороз", "Moroz"),
    ("Павленко", "Pavlenko"),
    ("Кузьменко", "Kuzmenko"),
    ("Ковальчук", "Kovalchuk"),
    ("Клименко", "Klymenko"),
    ("Гончаренко", "Honcharenko"),
    ("Остапенко", "Ostapenko"),
    ("Левченко", "Levchenko"),
    ("Харченко", "Kharchenko"),
    ("Карпенко", "Karpenko"),
    ("Романенко", "Romanenko"),
    ("Мельничук", "Melnychuk"),
    ("Кравчук", "Kravchuk"),
    ("Литвиненко", "Lytvynenko"),
    ("Сидоренко", "Sydorenko"),
    ("Іваненко", "Ivanenko"),
    ("Гаврилюк", "Havryliuk"),
    ("Даниленко", "Danylenko"),
    ("Ткачук", "Tkachuk"),
    ("Білик", "Bilyk"),
    ("Хоменко", "Khomenko"),
    ("Юрченко", "Yurchenko"),
    ("Головко", "Holovko"),
    ("Мазур", "Mazur"),
    ("Пономаренко", "Ponomarenko"),
    ("Гнатюк", "Hnatiuk"),
    ("Лук'яненко", "Lukianenko"),
    ("Вовк", "Vovk"),
    ("Гуменюк", "Humeniuk"),
    ("Приходько", "Prykhodko"),
    ("Захарченко", "Zakharchenko"),
    ("Зінченко", "Zinchenko"),
    ("Дем'яненко", "Demianenko"),
    ("Федорчук", "Fedorchuk"),
]
CITIES = [
    "Київ",
    "Харків",
    "Одеса",
    "Дніпро",
    "Львів",
    "Запоріжжя",
    "Вінниця",
    "Полтава",
    "Чернігів",
    "Черкаси",
    "Житомир",
    "Суми",
    "Хмельницький",
    "Рівне",
    "Івано-Франківськ",
    "Тернопіль",
    "Луцьк",
    "Ужгород",
    "Миколаїв",
    "Кропивницький",
    "Біла Церква",
    "Бровари",
    "Kyiv",
    "Lviv",
    "Odesa",
]
CITY_WEIGHTS = np.array([30, 9, 8, 7, 8, 4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 2, 1, 1, 1, 3, 2, 1], float)
DOMAINS = [  # gmail must stay first (index 0)
    "gmail.com",
    "ukr.net",
    "i.ua",
    "meta.ua",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "bigmir.net",
    "email.ua",
    "proton.me",
    "epam.com",
    "kyivstar.net",
    "privatbank.ua",
    "rozetka.com.ua",
    "novaposhta.ua",
]
DOMAIN_WEIGHTS = np.array([52, 16, 5, 2, 3, 4, 2, 5, 2, 2, 2, 1, 1, 1, 1, 1], float)
PLUS_TAGS = ["news", "shop", "promo", "rozetka", "2023", "sale", "prom", "olx"]
# UA mobile operator codes (Kyivstar, Vodafone, lifecell, 3Mob)
OPERATORS = ["67", "68", "96", "97", "98", "50", "66", "95", "99", "63", "73", "93", "91", "39"]

# Junk: every entry must be *blocked* under MATCHING.md, so it can never link.
JUNK_EMAILS = [
    "test@test.com",
    "TEST@TEST.COM",
    "noreply@shop.ua",
    "no-reply@gmail.com",
    "n/a",
    "N/A",
    "none",
    "null",
    "-",
    "test@example.com",
    "noemail@ukr.net",
    "no_email@gmail.com",
    "test",
    "nomail@i.ua",
    "info@example.org",
    "noreply@rozetka.com.ua",
]
JUNK_PHONES = ["0000000000", "1234567890", "n/a", "-", "0", "+7 777 777 77 77", "1111111111", "000-000-00-00"]
JUNK_EXT = ["0", "-", "null", "n/a"]
JUNK_COOKIE = ["undefined", "null"]
JUNK_DEVICE = ["unknown", "00000000-0000-0000-0000-000000000000"]
ZERO_IDFA = "00000000-0000-0000-0000-000000000000"
# One shop phone typed in by cashiers for customers without one: over-shared, never links.
HUB_PHONES = ["+380442223344", "(044) 222-33-44", "044 222 33 44"]

# record roles
ESP, MC, ANON, NOID_E, NOID_M = 0, 1, 2, 3, 4
ROLE_NAMES = ["esputnik_registered", "mailchimp_member", "anonymous", "no_identifier", "no_identifier"]
# person types
REG, ANONP, NOIDP = 0, 1, 2
# email modes
(EM_NONE, EM_ASIS, EM_UPPER, EM_CAP, EM_SPACES, EM_DOTS, EM_GOOGLEMAIL, EM_PLUS, EM_INVALID, EM_JUNK, EM_SECOND) = (
    range(11)
)
EM_MODE_NAMES = [
    "none",
    "as_is",
    "upper",
    "capitalised",
    "spaces",
    "gmail_dots",
    "googlemail",
    "plus_tag",
    "invalid",
    "junk",
    "second_email",
]
# phone modes: 1..5 the five UA writings
PH_NONE, PH_JUNK, PH_HUB = 0, 9, 11
PH_MODE_NAMES = {
    0: "none",
    1: "+380671234567",
    2: "0671234567",
    3: "(067) 123-45-67",
    4: "380671234567",
    5: "+38 (067) 123 45 67",
    9: "junk",
    11: "shop_phone",
}

T0 = 1546300800  # 2019-01-01
T1 = 1751241600  # 2025-06-30
DAY = 86400
SPREAD = 400 * DAY  # records of one person are spread over this window


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def _bijection(idx: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """A seeded permutation of range(m) evaluated at idx: distinct idx -> distinct values."""
    while True:
        a = int(rng.integers(m // 3 + 1, m)) | 1
        if math.gcd(a, m) == 1:
            break
    b = int(rng.integers(0, m))
    return (idx.astype(np.int64) * a + b) % m


_ALL_SAME = np.array(sorted(d * int("1" * k) for k in range(4, 19) for d in range(1, 10)), dtype=np.int64)


def _all_same_digits(x: np.ndarray) -> np.ndarray:
    """Numbers of 4+ digits that are one digit repeated (blocked placeholders)."""
    i = np.minimum(np.searchsorted(_ALL_SAME, x), _ALL_SAME.size - 1)
    return _ALL_SAME[i] == x


def _fix_all_same(x: np.ndarray, top: int) -> np.ndarray:
    """Move the (few) all-same-digit numbers above ``top`` so every value stays usable."""
    bad = np.flatnonzero(_all_same_digits(x))
    nxt = top
    while bad.size:
        x[bad] = nxt + np.arange(bad.size)
        nxt += bad.size
        bad = bad[_all_same_digits(x[bad])]
    return x


def _shared_values(a: np.ndarray, b: np.ndarray) -> int:
    """How many distinct values occur in both non-negative integer arrays (bitmap, no sort)."""
    if a.size == 0 or b.size == 0:
        return 0
    top = int(max(a.max(), b.max())) + 1
    in_a = np.zeros(top, bool)
    in_a[a] = True
    in_b = np.zeros(top, bool)
    in_b[b] = True
    return int((in_a & in_b).sum())


def _rank_in_person(mask: np.ndarray, starts: np.ndarray, rec_p: np.ndarray) -> np.ndarray:
    """1-based rank of each True record among its person's True records (0 where False)."""
    cs = np.cumsum(mask, dtype=np.int64)
    before = np.concatenate([[0], cs])[starts]  # count before the person's first record
    return np.where(mask, cs - before[rec_p], 0)


def _propagate(labels: np.ndarray, token_masks: list[np.ndarray], rec_p: np.ndarray) -> np.ndarray:
    """Connected components where each mask is one per-person token (records in person order)."""
    groups = []
    for m in token_masks:
        idx = np.flatnonzero(m)
        if idx.size == 0:
            continue
        pp = rec_p[idx]
        gstart = np.flatnonzero(np.concatenate([[True], pp[1:] != pp[:-1]]))
        sizes = np.diff(np.concatenate([gstart, [idx.size]]))
        groups.append((idx, gstart, sizes))
    while True:
        changed = False
        for idx, gstart, sizes in groups:
            cur = labels[idx]
            mins = np.repeat(np.minimum.reduceat(cur, gstart), sizes)
            upd = mins < cur
            if upd.any():
                labels[idx[upd]] = mins[upd]
                changed = True
        if not changed:
            return labels


# ---------------------------------------------------------------------------
# step 1: every decision as integer arrays (numpy)
# ---------------------------------------------------------------------------
def build(n_records: int, seed: int) -> tuple[dict, dict, dict]:
    rng = np.random.default_rng(seed)
    N = int(n_records)

    # persons and how many records each has (mean ~1.5 records per person)
    p_est = int(N / 1.5 * 1.08) + 32
    while True:
        ptype = rng.choice(3, p_est, p=[0.88, 0.09, 0.03]).astype(np.int8)
        counts = np.where(
            ptype == REG,
            rng.choice([1, 2, 3, 4, 5, 6], p_est, p=[0.61, 0.28, 0.075, 0.022, 0.009, 0.004]),
            np.where(ptype == ANONP, rng.choice([1, 2, 3], p_est, p=[0.55, 0.35, 0.10]), 1),
        ).astype(np.int64)
        cum = np.cumsum(counts)
        if cum[-1] >= N:
            break
        p_est *= 2
    P = int(np.searchsorted(cum, N) + 1)
    ptype, counts = ptype[:P], counts[:P].copy()
    counts[-1] -= int(cum[P - 1] - N)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rec_p = np.repeat(np.arange(P, dtype=np.int64), counts)
    slot = np.arange(N, dtype=np.int64) - starts[rec_p]
    reg, anonp = ptype == REG, ptype == ANONP

    def rp(k=P):
        return rng.random(k, dtype=np.float32)

    # ---- person attributes
    has_ext = reg & (rp() < 0.65)
    has_email = reg & (rp() < 0.90)
    has_phone = reg & (rp() < 0.70)
    has_email |= reg & ~(has_ext | has_email | has_phone)
    has_app = (reg & (rp() < 0.35)) | (anonp & (rp() < 0.55))
    has_web = (reg & (rp() < 0.45)) | (anonp & ~has_app) | (anonp & (rp() < 0.3))
    is_ios = has_app & (rp() < 0.4)
    has_email2 = has_email & (rp() < 0.06)
    gender = rp() < 0.5
    fn_idx = np.where(gender, len(FIRST_M) + rng.integers(0, len(FIRST_F), P), rng.integers(0, len(FIRST_M), P))
    ln_idx = rng.integers(0, len(LAST), P)
    cyr = rp() < 0.6
    city_idx = rng.choice(len(CITIES), P, p=CITY_WEIGHTS / CITY_WEIGHTS.sum())
    dom = rng.choice(len(DOMAINS), P, p=DOMAIN_WEIGHTS / DOMAIN_WEIGHTS.sum())
    dom2 = (dom + rng.integers(1, len(DOMAINS), P)) % len(DOMAINS)
    pat = rng.integers(0, 8, P)
    pat = np.where((pat == 3) & (dom == 0), 0, pat)  # no underscores at gmail
    pat2 = (pat + rng.integers(1, 8, P)) % 8
    pat2 = np.where((pat2 == 3) & (dom2 == 0), 0, pat2)
    dk = np.where(pat < 5, rng.choice(4, P, p=[0.55, 0.15, 0.2, 0.1]), rng.choice([1, 2, 3], P, p=[0.35, 0.45, 0.2]))
    dk2 = np.where(pat2 < 5, rng.choice(4, P, p=[0.55, 0.15, 0.2, 0.1]), rng.choice([1, 2, 3], P, p=[0.35, 0.45, 0.2]))
    dv = rng.integers(0, 1 << 30, P)
    ext_num = _fix_all_same(1_000_000 + _bijection(np.arange(P), 10 * P + 1000, rng), 1_000_000 + 10 * P + 1000)
    phone_idx = _bijection(np.arange(P), len(OPERATORS) * 10_000_000, rng)

    # ---- deliberate cross-person sharing: family emails and device transfers (disjoint pairs)
    u = rp()

    def pairs(pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        idx = np.flatnonzero(pool)
        rng.shuffle(idx)
        k = idx.size // 2
        return idx[0 : 2 * k : 2], idx[1 : 2 * k : 2]

    fam_a, fam_b = pairs(reg & (u < 0.008))
    xfer_a, xfer_b = pairs(reg & (u >= 0.008) & (u < 0.014))
    special = np.zeros(P, bool)
    special[np.concatenate([fam_a, fam_b, xfer_a, xfer_b])] = True
    has_ext[special] = True
    has_email[fam_a] = has_email[fam_b] = True
    has_app[xfer_a] = has_app[xfer_b] = True
    is_ios[xfer_b] = is_ios[xfer_a]
    email_owner = np.arange(P)
    email_owner[fam_b] = fam_a  # B writes A's email
    ln_idx[fam_b] = ln_idx[fam_a]  # and usually shares A's surname
    dev_owner = np.arange(P)
    dev_owner[xfer_b] = xfer_a  # B got A's phone: same device id
    fam_partner = np.full(P, -1, np.int64)
    fam_partner[fam_a], fam_partner[fam_b] = fam_b, fam_a
    xfer_partner = np.full(P, -1, np.int64)
    xfer_partner[xfer_a], xfer_partner[xfer_b] = xfer_b, xfer_a
    gmail_eff = dom[email_owner] == 0

    # ---- time windows: records of one person lie within SPREAD of the person's base;
    # a device's old owner (A) lives before 2021, the new owner (B) after mid-2022.
    base = T0 + (rp().astype(np.float64) * (T1 - T0 - SPREAD)).astype(np.int64)
    base[xfer_a] = T0 + (rp(xfer_a.size) * (2 * 365 * DAY - SPREAD)).astype(np.int64)
    late0 = T0 + int(3.5 * 365 * DAY)
    base[xfer_b] = late0 + (rp(xfer_b.size) * (T1 - late0 - SPREAD)).astype(np.int64)

    # ---- record roles
    def rr():
        return rng.random(N, dtype=np.float32)

    first = slot == 0
    r = rr()
    role = np.full(N, ESP, np.int8)
    p_reg, p_anon, p_noid = reg[rec_p], anonp[rec_p], ptype[rec_p] == NOIDP
    # first record of a registered person: eSputnik mostly, Mailchimp needs an email
    role[first & p_reg & (r >= 0.66) & has_email[rec_p] & ~special[rec_p]] = MC
    later = p_reg & ~first
    r = rr()
    role[later & (r >= 0.38) & (r < 0.72) & has_email[rec_p]] = MC
    first_esp = np.zeros(P, bool)
    first_esp[rec_p[first & (role == ESP) & p_reg]] = True
    role[later & (r >= 0.72) & (has_app | has_web)[rec_p] & first_esp[rec_p]] = ANON
    role[p_anon] = ANON
    r = rr()
    role[p_noid] = np.where(r[p_noid] < 0.7, NOID_E, NOID_M)

    # Mailchimp keeps one member per address: a 2nd/3rd member of one person is a
    # gmail variant or the person's other email; otherwise it is an eSputnik record.
    mc_rank = _rank_in_person(role == MC, starts, rec_p)
    extra_mc = mc_rank >= 2
    can_vary = gmail_eff[rec_p] | ((mc_rank == 2) & has_email2[rec_p])
    role[extra_mc & ~can_vary] = ESP
    mc_rank = _rank_in_person(role == MC, starts, rec_p)

    is_esp, is_mc, is_anon = role == ESP, role == MC, role == ANON
    src = np.isin(role, [MC, NOID_M]).astype(np.int8)  # 0 esputnik, 1 mailchimp
    sp = special[rec_p]

    # ---- identifier cells
    c_ext = np.zeros(N, np.int8)
    c_em = np.zeros(N, np.int8)
    c_ph = np.zeros(N, np.int8)
    c_dev = np.zeros(N, np.int8)
    c_psd = np.zeros(N, np.int8)
    c_mp = np.zeros(N, np.int8)
    c_wp = np.zeros(N, np.int8)
    c_ck = np.zeros(N, np.int8)
    c_idfa = np.zeros(N, np.int8)
    app_r, web_r, ios_r = has_app[rec_p], has_web[rec_p], is_ios[rec_p]

    e_ext = is_esp & has_ext[rec_p] & ((rr() < 0.8) | sp)
    e_em = (is_esp & has_email[rec_p] & (rr() < 0.75)) | is_mc
    e_ph = has_phone[rec_p] & ((is_esp & (rr() < 0.6)) | (is_mc & (rr() < 0.35)))
    # a registered eSputnik record holds at least one key/personal identifier
    bare = is_esp & ~(e_ext | e_em | e_ph)
    e_ext |= bare & has_ext[rec_p]
    e_em |= bare & ~has_ext[rec_p] & has_email[rec_p]
    e_ph |= bare & ~has_ext[rec_p] & ~has_email[rec_p]
    fam_r = fam_partner[rec_p] >= 0
    e_em |= first & is_esp & fam_r  # both family members show the shared email next to their key
    c_ext[e_ext] = 1
    c_ext[e_ext & (rr() < 0.01)] = 2  # " 1234567 "

    r = rr()
    mode = np.select(
        [r < 0.80, r < 0.83, r < 0.88, r < 0.92, r < 0.95, r < 0.965],
        [EM_ASIS, EM_UPPER, EM_CAP, EM_SPACES, EM_DOTS, EM_GOOGLEMAIL],
        EM_PLUS,
    ).astype(np.int8)
    mode[(mode >= EM_DOTS) & ~gmail_eff[rec_p]] = EM_ASIS
    mode[has_email2[rec_p] & (rr() < 0.35)] = EM_SECOND
    mode[first & is_esp & fam_r] = EM_ASIS
    # extra Mailchimp members of one person: distinct addresses
    r2 = rr()
    var = np.where(r2 < 0.34, EM_DOTS, np.where(r2 < 0.67, EM_GOOGLEMAIL, EM_PLUS)).astype(np.int8)
    mode = np.where(is_mc & (mc_rank >= 3), EM_PLUS, mode)
    mode = np.where(is_mc & (mc_rank == 2), np.where(gmail_eff[rec_p], var, EM_SECOND), mode)
    mode = np.where(is_mc & (mc_rank == 1) & (mode >= EM_DOTS), EM_ASIS, mode).astype(np.int8)  # incl. SECOND
    tag = rng.integers(0, len(PLUS_TAGS), N)
    tag = np.where(is_mc, (rng.integers(0, len(PLUS_TAGS), P)[rec_p] + mc_rank) % len(PLUS_TAGS), tag)
    c_em[e_em] = mode[e_em]
    c_ph[e_ph] = rng.choice([1, 2, 3, 4, 5], N, p=[0.35, 0.25, 0.10, 0.15, 0.15])[e_ph]

    # devices / anonymous ids on registered eSputnik records
    c_dev[is_esp & app_r & (rr() < 0.6)] = 1
    c_psd[is_esp & app_r & (rr() < 0.5)] = 1
    c_mp[is_esp & app_r & (rr() < 0.5)] = 1
    c_ck[is_esp & web_r & (rr() < 0.5)] = 1
    c_wp[is_esp & web_r & (rr() < 0.3)] = 1
    r = rr()
    c_idfa[is_esp & ios_r & (r < 0.5)] = 1
    c_idfa[(is_esp | is_anon) & app_r & (c_idfa == 0) & (r > 0.6)] = 2  # limit-ad-tracking zeros
    c_idfa[is_esp & ~app_r & (rr() < 0.03)] = 2
    # the person's first record carries every device value its anonymous records may use
    has_anon_rec = np.zeros(P, bool)
    has_anon_rec[rec_p[is_anon]] = True
    lead = first & (has_anon_rec[rec_p] | anonp[rec_p])
    c_psd[lead & app_r] = 1
    c_mp[lead & app_r] = 1
    c_ck[lead & web_r] = 1
    c_wp[lead & web_r & (rr() < 0.5)] = 1
    xfer_r = xfer_partner[rec_p] >= 0
    c_dev[first & xfer_r] = 1
    # anonymous records: only cookie / pseudo id / push tokens (never a device id)
    follow = is_anon & ~lead
    c_psd[follow & app_r & (rr() < 0.6)] = 1
    c_mp[follow & app_r & (rr() < 0.4)] = 1
    c_ck[follow & web_r & (rr() < 0.6)] = 1
    c_wp[follow & web_r & (rr() < 0.3)] = 1
    none = follow & (c_psd == 0) & (c_mp == 0) & (c_ck == 0) & (c_wp == 0)
    c_ck[none & web_r] = 1
    c_psd[none & ~web_r] = 1

    # ---- junk, invalid values, shop phone (never on family/transfer people)
    ok = ~sp
    esp_like = is_esp | (role == NOID_E)
    c_em[ok & (c_em > 0) & (rr() < 0.01)] = EM_JUNK
    c_em[ok & esp_like & (c_em == 0) & (rr() < np.where(role == NOID_E, 0.3, 0.02))] = EM_JUNK
    c_em[role == NOID_M] = EM_JUNK
    c_em[ok & (c_em == EM_ASIS) & (rr() < 0.005)] = EM_INVALID
    c_ph[ok & (c_ph > 0) & (rr() < 0.01)] = PH_JUNK
    c_ph[ok & esp_like & (c_ph == 0) & (rr() < np.where(role == NOID_E, 0.3, 0.03))] = PH_JUNK
    c_ph[ok & is_mc & (c_ph == 0) & (rr() < 0.01)] = PH_JUNK
    c_ext[ok & esp_like & (c_ext == 0) & (rr() < 0.01)] = 9
    c_ck[ok & (esp_like | is_anon) & (c_ck == 0) & (rr() < 0.005)] = 9
    c_dev[ok & esp_like & (c_dev == 0) & (rr() < 0.005)] = 9
    c_psd[ok & is_anon & (c_psd == 0) & (rr() < 0.01)] = 9
    c_idfa[(role == NOID_E) & (rr() < 0.3)] = 2
    n_hub = N // 2000 if N >= 60_000 else 0
    if n_hub:
        cand = np.flatnonzero(first & is_esp & (c_ext == 1) & ok)
        hub = rng.choice(cand, min(n_hub, cand.size), replace=False)
        c_ph[hub] = PH_HUB

    # names / city
    c_fn = np.where(is_esp, rr() < 0.85, np.where(is_mc, rr() < 0.8, (role >= NOID_E) & (rr() < 0.3)))
    c_ln = c_fn & (rr() < 0.93)
    c_city = (is_esp & (rr() < 0.6)) | ((role == NOID_E) & (rr() < 0.3)) | (is_anon & (rr() < 0.1))

    # ---- time stamps
    ts = base[rec_p] + (rr().astype(np.float64) * SPREAD).astype(np.int64)
    blank = np.where(src == 0, rr() < 0.03, rr() < 0.01) & ~xfer_r
    ts[blank] = -1

    # ---- file rows: shuffle, then number within each file
    perm = rng.permutation(N)
    in_esp = src[perm] == 0
    file_order = np.concatenate([perm[in_esp], perm[~in_esp]])  # eSputnik rows, then Mailchimp rows
    n_esp = int(in_esp.sum())
    del perm, in_esp
    row = np.empty(N, np.int64)
    row[file_order[:n_esp]] = np.arange(1, n_esp + 1)
    row[file_order[n_esp:]] = np.arange(1, N - n_esp + 1)
    # Contact ID and LEID: one number per row, both from the same range -> collisions
    m_ids = 3 * N + 1000
    sid = 100_000 + np.where(src == 0, _bijection(row, m_ids, rng), _bijection(row, m_ids, rng))
    sid = _fix_all_same(sid, 100_000 + m_ids)
    # re-exported eSputnik contact: a later row repeats the Contact ID of the person's first row
    dup = is_esp & ~first & first_esp[rec_p] & (rr() < 0.01)
    sid[dup] = sid[starts[rec_p[dup]]]
    dup_src = np.zeros(N, bool)
    dup_src[starts[rec_p[dup]]] = True

    # ---- what the rules can link (per-person tokens; records are in person order)
    in_fam = fam_partner[rec_p] >= 0
    strong = [
        (c_ext == 1) | (c_ext == 2),
        (c_em >= EM_ASIS) & (c_em <= EM_PLUS) & ~in_fam,  # family email links nothing
        c_em == EM_SECOND,
        (c_ph >= 1) & (c_ph <= 5),
        dup | dup_src,
    ]
    weak = [
        (c_dev == 1) & ~xfer_r,  # a transferred device is shared with another person
        c_psd == 1,
        c_mp == 1,
        c_wp == 1,
        c_ck == 1,
        c_idfa == 1,
    ]
    identified = (
        (c_ext == 1)
        | (c_ext == 2)
        | ((c_em >= EM_ASIS) & (c_em <= EM_PLUS))
        | (c_em == EM_SECOND)
        | ((c_ph >= 1) & (c_ph <= 5))
    )
    strong_lab = _propagate(np.arange(N, dtype=np.int64), strong, rec_p)
    reach_lab = _propagate(strong_lab.copy(), strong + weak, rec_p)
    # identified groups per reach component (a strong group's label is its smallest record)
    id_root = np.zeros(N, bool)
    id_root[strong_lab[identified]] = True
    n_id = np.bincount(reach_lab[np.flatnonzero(id_root)], minlength=N)
    link_lab = np.where(n_id[reach_lab] <= 1, reach_lab, strong_lab)

    persons = dict(
        fn_idx=fn_idx,
        ln_idx=ln_idx,
        cyr=cyr,
        city_idx=city_idx,
        dom=dom,
        dom2=dom2,
        pat=pat,
        pat2=pat2,
        dk=dk,
        dk2=dk2,
        dv=dv,
        dv2=rng.integers(0, 1 << 30, P),
        ext_num=ext_num,
        phone_idx=phone_idx,
        email_owner=email_owner,
        is_ios=is_ios,
        dev_owner=dev_owner,
        has_email=has_email,
        has_email2=has_email2,
    )
    records = dict(
        pid=rec_p,
        src=src,
        row=row,
        role=role,
        sid=sid,
        ts=ts,
        c_ext=c_ext,
        c_em=c_em,
        c_ph=c_ph,
        c_dev=c_dev,
        c_psd=c_psd,
        c_mp=c_mp,
        c_wp=c_wp,
        c_ck=c_ck,
        c_idfa=c_idfa,
        c_fn=c_fn,
        c_ln=c_ln,
        c_city=c_city,
        j=rng.integers(0, 1 << 20, N, dtype=np.int32),
        tag=tag.astype(np.int8),
        link_group=link_lab,
        reach_group=reach_lab,
        fam_partner=fam_partner[rec_p],
        xfer_partner=xfer_partner[rec_p],
        file_order=file_order,
    )

    # ---- statistics
    def pairs_of(labels: np.ndarray) -> int:
        c = np.bincount(labels)
        return int((c * (c - 1) // 2).sum())

    per_src = np.bincount(rec_p * 2 + src, minlength=2 * P).reshape(P, 2)
    esp_ids, mc_ids = sid[src == 0], sid[src == 1]
    stats = {
        "records": N,
        "persons": P,
        "esputnik_rows": int((src == 0).sum()),
        "mailchimp_rows": int((src == 1).sum()),
        "records_per_person": round(N / P, 4),
        "persons_by_type": {
            "registered": int(reg.sum()),
            "anonymous_only": int(anonp.sum()),
            "no_identifier": int((ptype == NOIDP).sum()),
        },
        "records_by_role": {
            n: int((role == i).sum())
            for i, n in enumerate(
                [
                    "esputnik_registered",
                    "mailchimp_member",
                    "anonymous",
                    "no_identifier_esputnik",
                    "no_identifier_mailchimp",
                ]
            )
        },
        "persons_in_both_files": int(((per_src[:, 0] > 0) & (per_src[:, 1] > 0)).sum()),
        "persons_duplicated_in_esputnik": int((per_src[:, 0] > 1).sum()),
        "persons_duplicated_in_mailchimp": int((per_src[:, 1] > 1).sum()),
        "anonymous_records_of_registered_people": int((is_anon & p_reg).sum()),
        "family_email_pairs": int(fam_a.size),
        "device_transfer_pairs": int(xfer_a.size),
        "reexported_contact_id_rows": int(dup.sum()),
        "contact_id_leid_collisions": _shared_values(esp_ids, mc_ids),
        "shop_phone_records": int(n_hub and hub.size),
        "email_cells": {EM_MODE_NAMES[i]: int(v) for i, v in enumerate(np.bincount(c_em, minlength=11))},
        "phone_cells": {
            PH_MODE_NAMES[i]: int(v) for i, v in enumerate(np.bincount(c_ph, minlength=12)) if i in PH_MODE_NAMES
        },
        "zero_idfa_cells": int((c_idfa == 2).sum()),
        "blank_updated_at": int(blank.sum()),
        "identified_records": int(identified.sum()),
        "pairs": {"same_person": pairs_of(rec_p), "reachable": pairs_of(reach_lab), "linkable": pairs_of(link_lab)},
    }
    return persons, records, stats


# ---------------------------------------------------------------------------
# step 2: strings and files
# ---------------------------------------------------------------------------
def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


_M1, _M2, _GOLD = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijection of uint64, so distinct keys give distinct words."""
    z = x + _GOLD
    t = np.empty_like(z)
    for shift, mult in ((30, _M1), (27, _M2)):
        np.right_shift(z, np.uint64(shift), out=t)
        z ^= t
        z *= mult
    np.right_shift(z, np.uint64(31), out=t)
    z ^= t
    return z


def _random_bytes(owner: np.ndarray, kind: int, seed: int, nbytes: int) -> np.ndarray:
    """(len(owner), nbytes) pseudo-random bytes, a pure function of (seed, kind, owner).

    The first 8 bytes are a bijection of the owner, so two owners never get the same value.
    """
    nw = (nbytes + 7) // 8
    salt = _mix(np.array([seed * 1009 + kind], np.uint64))[0]
    key = (owner.astype(np.uint64) * np.uint64(64) + np.uint64(kind)) * np.uint64(32) + salt
    words = _mix(key[:, None] + np.arange(nw, dtype=np.uint64)[None, :])
    return words.view(np.uint8).reshape(owner.size, nw * 8)[:, :nbytes]


def _hex(b: np.ndarray, upper: bool | np.ndarray = False) -> np.ndarray:
    """(m, k) bytes -> (m, 2k) ASCII hex digits."""
    out = np.empty((b.shape[0], 2 * b.shape[1]), np.uint8)
    out[:, 0::2] = b >> 4
    out[:, 1::2] = b & 15
    letter = out > 9
    out += 48
    if isinstance(upper, np.ndarray):
        out += letter * np.where(upper, 7, 39).astype(np.uint8)[:, None]
    else:
        out += letter * np.uint8(7 if upper else 39)
    return out


def _uuid(b16: np.ndarray, upper: bool) -> np.ndarray:
    h = _hex(b16, upper)
    out = np.full((h.shape[0], 36), ord("-"), np.uint8)
    for src, dst in (
        (slice(0, 8), slice(0, 8)),
        (slice(8, 12), slice(9, 13)),
        (slice(12, 16), slice(14, 18)),
        (slice(16, 20), slice(19, 23)),
        (slice(20, 32), slice(24, 36)),
    ):
        out[:, dst] = h[:, src]
    return out


_B64_TABLE = bytes(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i & 63] for i in range(256))


def _b64chars(b: np.ndarray) -> np.ndarray:
    """Bytes -> base64url characters (A-Z a-z 0-9 - _), one per byte (bytes.translate runs in C)."""
    return np.frombuffer(np.ascontiguousarray(b).tobytes().translate(_B64_TABLE), np.uint8).reshape(b.shape)


def _fcm(owner: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Firebase-style tokens (22 chars, ':APA91b', 134 chars, base64url), one per owner.

    Drawn once per distinct owner from ``rng`` (so every record of an owner shows the
    same token); 156 random characters do not collide in practice.
    """
    u, inv = np.unique(owner, return_inverse=True)
    c = _b64chars(np.frombuffer(rng.bytes(u.size * 156), np.uint8).reshape(u.size, 156))
    mid = np.broadcast_to(np.frombuffer(b":APA91b", np.uint8), (u.size, 7))
    return np.concatenate([c[:, :22], mid, c[:, 22:]], axis=1)[inv.ravel()]


def _string_column(n: int, idx: np.ndarray, chars: np.ndarray) -> pa.Array:
    """A string column of length n: row idx[i] (ascending) holds chars[i]; other rows ''."""
    widths = np.zeros(n, np.int64)
    widths[idx] = chars.shape[1]
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(widths, out=offsets[1:])
    data = np.ascontiguousarray(chars).ravel()
    if offsets[-1] < 2**31 - 1:
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _device_strings(persons: dict, rec: dict, seed: int) -> dict[str, pa.Array]:
    """Device / anonymous id strings for the records (in file order) that carry them."""
    n = rec["pid"].size
    pid = rec["pid"]
    dev_owner = persons["dev_owner"][pid]
    ios = persons["is_ios"][dev_owner]
    cols = {}
    m = np.flatnonzero(rec["c_dev"] == 1)
    mi, ma = m[ios[m]], m[~ios[m]]
    cols["dev_i"] = _string_column(n, mi, _uuid(_random_bytes(dev_owner[mi], 1, seed, 16), True))  # IDFV
    cols["dev_a"] = _string_column(n, ma, _hex(_random_bytes(dev_owner[ma], 1, seed, 8)))  # ANDROID_ID
    m = np.flatnonzero(rec["c_psd"] == 1)
    cols["psd"] = _string_column(n, m, _hex(_random_bytes(pid[m], 2, seed, 16)))
    own_ios = persons["is_ios"][pid]
    rng = np.random.default_rng([seed, 13])
    m = np.flatnonzero(rec["c_mp"] == 1)
    mi, ma = m[own_ios[m]], m[~own_ios[m]]
    cols["mp_i"] = _string_column(n, mi, _hex(_random_bytes(pid[mi], 3, seed, 32)))  # APNs
    cols["mp_a"] = _string_column(n, ma, _fcm(pid[ma], rng))  # FCM
    m = np.flatnonzero(rec["c_wp"] == 1)
    cols["wp"] = _string_column(n, m, _fcm(pid[m], rng))
    m = np.flatnonzero(rec["c_ck"] == 1)
    cols["ck"] = _string_column(n, m, _uuid(_random_bytes(pid[m], 5, seed, 16), False))
    m = np.flatnonzero(rec["c_idfa"] == 1)
    cols["idfa"] = _string_column(n, m, _uuid(_random_bytes(pid[m], 6, seed, 16), True))
    return cols


def _compose(m: int, parts: list) -> np.ndarray:
    """Fixed-width rows from constant byte strings and (m, k) uint8 digit arrays."""
    cols = [np.broadcast_to(np.frombuffer(p, np.uint8), (m, len(p))) if isinstance(p, bytes) else p for p in parts]
    return np.concatenate(cols, axis=1)


def _phone_strings(phone_idx: np.ndarray, c_ph: np.ndarray) -> dict[str, pa.Array]:
    """The five UA writings of each record's phone, one column per writing (others '')."""
    n = c_ph.size
    ops = np.frombuffer("".join(OPERATORS).encode(), np.uint8).reshape(-1, 2)
    cols = {}
    for f in range(1, 6):
        m = np.flatnonzero(c_ph == f)
        pi = phone_idx[m]
        op = ops[pi // 10_000_000]
        sub = np.zeros((m.size, 7), np.uint8)
        v = pi % 10_000_000
        for k in range(6, -1, -1):
            sub[:, k] = v % 10
            v //= 10
        sub += 48
        a, b, c = sub[:, 0:3], sub[:, 3:5], sub[:, 5:7]
        parts = {
            1: [b"+380", op, sub],  # +380671234567
            2: [b"0", op, sub],  # 0671234567
            3: [b"(0", op, b") ", a, b"-", b, b"-", c],  # (067) 123-45-67
            4: [b"380", op, sub],  # 380671234567
            5: [b"+38 (0", op, b") ", a, b" ", b, b" ", c],  # +38 (067) 123 45 67
        }[f]
        cols[f"ph{f}"] = _string_column(n, m, _compose(m.size, parts))
    return cols


FIRST = FIRST_M + FIRST_F
# the e-mail local part from a person's name fields; used for de-duplication and for output
_LOCAL_MACRO = """
CREATE MACRO mk_local(fi, li, pat, dk, dv, key) AS (
    CASE pat WHEN 0 THEN {fl}[fi + 1] || '.' || {ll}[li + 1]
             WHEN 1 THEN {fl}[fi + 1] || {ll}[li + 1]
             WHEN 2 THEN {fl}[fi + 1][1] || '.' || {ll}[li + 1]
             WHEN 3 THEN {fl}[fi + 1] || '_' || {ll}[li + 1]
             WHEN 4 THEN {ll}[li + 1] || '.' || {fl}[fi + 1]
             WHEN 5 THEN {fl}[fi + 1]
             WHEN 6 THEN {ll}[li + 1]
             ELSE {fl}[fi + 1] || '.' || {ll}[li + 1] END
    || CASE dk WHEN 0 THEN '' WHEN 1 THEN lpad(CAST(dv % 100 AS VARCHAR), 2, '0')
               WHEN 2 THEN CAST(1965 + (dv // 7) % 44 AS VARCHAR)
               WHEN 3 THEN CAST(1 + (dv // 11) % 999 AS VARCHAR)
               WHEN 4 THEN CAST(1000 + (dv // 13) % 999000 AS VARCHAR)
               ELSE lpad(CAST(key AS VARCHAR), 10, '0') END)
"""


def _unique_emails(con: duckdb.DuckDBPyConnection, persons: dict, seed: int) -> None:
    P = persons["fn_idx"].size
    rng = np.random.default_rng([seed, 11])
    dk = np.empty(2 * P, np.int8)  # indexed by key = pid * 2 + slot - 1
    dk[0::2], dk[1::2] = persons["dk"], persons["dk2"]
    dv = np.empty(2 * P, np.int64)
    dv[0::2], dv[1::2] = persons["dv"], persons["dv2"]
    keys = np.concatenate([np.flatnonzero(persons["has_email"]) * 2, np.flatnonzero(persons["has_email2"]) * 2 + 1])
    keys.sort()
    pid = keys // 2
    second = (keys % 2).astype(bool)
    fi = persons["fn_idx"][pid].astype(np.int16)
    li = persons["ln_idx"][pid].astype(np.int16)
    pat = np.where(second, persons["pat2"][pid], persons["pat"][pid]).astype(np.int8)
    dom = np.where(second, persons["dom2"][pid], persons["dom"][pid]).astype(np.int8)
    canon = (
        "SELECT key, dom, CASE WHEN dom = 0 THEN replace(mk_local(fi, li, pat, dk, dv, key), '.', '') "
        "ELSE mk_local(fi, li, pat, dk, dv, key) END AS c FROM cand"
    )
    # round 1: all addresses; in every colliding group the smallest key keeps its address
    con.register(
        "cand", pa.table({"key": keys, "fi": fi, "li": li, "pat": pat, "dom": dom, "dk": dk[keys], "dv": dv[keys]})
    )
    con.execute(f"CREATE TEMP TABLE em AS {canon}")
    con.unregister("cand")
    taken = (
        con.sql("""
        WITH dup AS (SELECT c, dom FROM em GROUP BY c, dom HAVING count(*) > 1)
        SELECT key FROM em SEMI JOIN dup USING (c, dom)
        QUALIFY row_number() OVER (PARTITION BY c, dom ORDER BY key) > 1""")
        .fetchnumpy()["key"]
        .astype(np.int64)
    )
    taken.sort()  # the random draws below must not depend on DuckDB's output order
    con.register("taken", pa.table({"key": taken}))
    con.execute("CREATE TEMP TABLE settled AS SELECT c, dom FROM em ANTI JOIN taken USING (key)")
    con.execute("DROP TABLE em")
    con.unregister("taken")
    pos = np.searchsorted(keys, taken)
    for rnd in range(1, 50):
        if taken.size == 0:
            break
        # later rounds: only the moved addresses, against the settled ones and each other
        n = taken.size
        if rnd == 1:
            dk[taken] = np.where(dk[taken] == 0, rng.choice([1, 2, 3], n), rng.choice([3, 4], n))
        elif rnd <= 4:
            dk[taken] = 4
        else:
            dk[taken] = 5
        dv[taken] = rng.integers(0, 1 << 30, n)
        con.register(
            "cand",
            pa.table(
                {
                    "key": taken,
                    "fi": fi[pos],
                    "li": li[pos],
                    "pat": pat[pos],
                    "dom": dom[pos],
                    "dk": dk[taken],
                    "dv": dv[taken],
                }
            ),
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE moved AS SELECT *, "
            f"row_number() OVER (PARTITION BY c, dom ORDER BY key) AS rn FROM ({canon})"
        )
        con.unregister("cand")
        taken = (
            con.sql("SELECT key FROM moved WHERE rn > 1 OR (c, dom) IN (SELECT c, dom FROM settled)")
            .fetchnumpy()["key"]
            .astype(np.int64)
        )
        taken.sort()
        con.register("taken", pa.table({"key": taken}))
        con.execute("INSERT INTO settled SELECT c, dom FROM moved ANTI JOIN taken USING (key)")
        con.unregister("taken")
        pos = np.searchsorted(keys, taken)
    else:
        raise RuntimeError("could not make e-mail addresses unique")
    con.execute("DROP TABLE settled")
    con.execute("DROP TABLE IF EXISTS moved")
    persons["dk"], persons["dk2"] = dk[0::2], dk[1::2]
    persons["dv"], persons["dv2"] = dv[0::2], dv[1::2]


def render(persons: dict, records: dict, out: Path, fmt: str, seed: int, threads: int | None, quiet: bool) -> None:
    con = _connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    con.execute(
        _LOCAL_MACRO.format(
            fl=_sql_list([lat.lower() for _, lat in FIRST]), ll=_sql_list([lat.lower() for _, lat in LAST])
        )
    )
    t = time.perf_counter()

    # 1. e-mail addresses must be unique on their gmail-canonical form.  Like people
    #    do, whoever finds their address taken adds digits (more each round); the
    #    last resort appends the person's own number.  dk/dv are updated in place.
    _unique_emails(con, persons, seed)
    _log(f"  unique e-mails: {time.perf_counter() - t:.1f}s", quiet)
    t = time.perf_counter()

    # 2. one record table in file order, all integers plus the device strings
    order = records["file_order"]
    rec = {
        k: records[k][order]
        for k in (
            "pid",
            "src",
            "sid",
            "ts",
            "c_ext",
            "c_em",
            "c_ph",
            "c_dev",
            "c_psd",
            "c_mp",
            "c_wp",
            "c_ck",
            "c_idfa",
            "c_fn",
            "c_ln",
            "c_city",
            "j",
            "tag",
        )
    }
    pid = rec["pid"]
    second = rec["c_em"] == EM_SECOND
    e_pid = np.where(second, pid, persons["email_owner"][pid])  # family: B writes A's address
    cols = {
        **{k: v for k, v in rec.items() if k != "pid"},
        "fi": persons["fn_idx"][pid].astype(np.int16),
        "li": persons["ln_idx"][pid].astype(np.int16),
        "cyr": persons["cyr"][pid],
        "city": persons["city_idx"][pid].astype(np.int16),
        "ext": persons["ext_num"][pid],
        "e_pid": e_pid,
        "e_slot": (second + 1).astype(np.int8),
        "e_fi": persons["fn_idx"][e_pid].astype(np.int16),
        "e_li": persons["ln_idx"][e_pid].astype(np.int16),
        "e_pat": np.where(second, persons["pat2"][e_pid], persons["pat"][e_pid]).astype(np.int8),
        "e_dk": np.where(second, persons["dk2"][e_pid], persons["dk"][e_pid]).astype(np.int8),
        "e_dv": np.where(second, persons["dv2"][e_pid], persons["dv"][e_pid]),
        "e_dom": np.where(second, persons["dom2"][e_pid], persons["dom"][e_pid]).astype(np.int8),
    }
    del rec
    cols.update(_phone_strings(persons["phone_idx"][pid], cols["c_ph"]))
    cols.update(
        _device_strings(
            persons, {"pid": pid, **{k: cols[k] for k in ("c_dev", "c_psd", "c_mp", "c_wp", "c_ck", "c_idfa")}}, seed
        )
    )
    rtab = pa.table(cols)
    del cols
    con.register("r", rtab)
    _log(f"  record table: {time.perf_counter() - t:.1f}s", quiet)
    t = time.perf_counter()

    fl, ll = _sql_list([lat for _, lat in FIRST]), _sql_list([lat for _, lat in LAST])
    fc, lc = _sql_list([c for c, _ in FIRST]), _sql_list([c for c, _ in LAST])
    con.execute(f"""CREATE VIEW rx AS SELECT *,
        CASE WHEN c_em NOT IN ({EM_NONE}, {EM_JUNK})
             THEN mk_local(e_fi, e_li, e_pat, e_dk, e_dv, e_pid * 2 + e_slot - 1) END AS loc,
        {_sql_list(DOMAINS)}[e_dom + 1] AS dd,
        CASE WHEN c_fn THEN (CASE WHEN cyr THEN {fc}[fi + 1] ELSE {fl}[fi + 1] END) END AS fname,
        CASE WHEN c_ln THEN (CASE WHEN cyr THEN {lc}[li + 1] ELSE {ll}[li + 1] END) END AS lname
        FROM r""")
    email_sql = f"""
        CASE
          WHEN c_em = {EM_NONE} THEN NULL
          WHEN c_em = {EM_JUNK} THEN {_sql_list(JUNK_EMAILS)}[j % {len(JUNK_EMAILS)} + 1]
          WHEN c_em = {EM_INVALID} THEN (CASE j % 3 WHEN 0 THEN loc || '@@' || dd
                                                    WHEN 1 THEN loc || '@' || split_part(dd, '.', 1)
                                                    ELSE loc || '.' || dd END)
          WHEN c_em = {EM_UPPER} THEN upper(loc || '@' || dd)
          WHEN c_em = {EM_CAP} THEN upper(loc[1]) || loc[2:] || '@' || upper(dd[1]) || dd[2:]
          WHEN c_em = {EM_SPACES} THEN ' ' || loc || '@' || dd || '  '
          WHEN c_em = {EM_DOTS} AND dd = 'gmail.com' THEN
               (CASE WHEN contains(loc, '.') THEN replace(loc, '.', '') ELSE loc[1] || '.' || loc[2:] END)
               || '@gmail.com'
          WHEN c_em = {EM_GOOGLEMAIL} AND dd = 'gmail.com' THEN loc || '@googlemail.com'
          WHEN c_em = {EM_PLUS} AND dd = 'gmail.com' THEN loc || '+' || {_sql_list(PLUS_TAGS)}[tag + 1] || '@gmail.com'
          ELSE loc || '@' || dd
        END"""
    phone_sql = f"""
        CASE c_ph
          WHEN 1 THEN ph1 WHEN 2 THEN ph2 WHEN 3 THEN ph3 WHEN 4 THEN ph4 WHEN 5 THEN ph5
          WHEN {PH_JUNK} THEN {_sql_list(JUNK_PHONES)}[(j // 16) % {len(JUNK_PHONES)} + 1]
          WHEN {PH_HUB} THEN {_sql_list(HUB_PHONES)}[(j // 16) % {len(HUB_PHONES)} + 1]
        END"""
    ts_sql = "CASE WHEN ts >= 0 THEN strftime(make_timestamp(ts * 1000000), '%Y-%m-%d %H:%M:%S') END"
    esp_sql = f"""
        SELECT CAST(sid AS VARCHAR) AS "Contact ID",
          CASE c_ext WHEN 1 THEN CAST(ext AS VARCHAR) WHEN 2 THEN ' ' || CAST(ext AS VARCHAR) || ' '
                     WHEN 9 THEN {_sql_list(JUNK_EXT)}[(j // 128) % {len(JUNK_EXT)} + 1] END AS "External ID",
          {email_sql} AS "Email",
          {phone_sql} AS "Phone Number",
          fname AS "First Name",
          lname AS "Last Name",
          CASE WHEN c_city THEN {_sql_list(CITIES)}[city + 1] END AS "City",
          CASE c_psd WHEN 1 THEN psd WHEN 9 THEN 'null' END AS "User Pseudo ID",
          CASE c_dev WHEN 1 THEN dev_i || dev_a
                     WHEN 9 THEN {_sql_list(JUNK_DEVICE)}[(j // 1024) % 2 + 1] END AS "Device ID",
          CASE WHEN c_mp = 1 THEN mp_i || mp_a END AS "Mobile Push Token",
          CASE WHEN c_wp = 1 THEN wp END AS "Web Push Token",
          CASE c_ck WHEN 1 THEN ck WHEN 9 THEN {_sql_list(JUNK_COOKIE)}[(j // 2048) % 2 + 1] END AS "Cookie",
          CASE c_idfa WHEN 1 THEN idfa WHEN 2 THEN '{ZERO_IDFA}' END AS "IDFA",
          {ts_sql} AS "Updated At"
        FROM rx WHERE src = 0"""
    mc_sql = f"""
        SELECT {email_sql} AS "Email Address",
          fname AS "First Name",
          lname AS "Last Name",
          {phone_sql} AS "Phone Number",
          {ts_sql} AS "LAST_CHANGED",
          CAST(sid AS VARCHAR) AS "LEID"
        FROM rx WHERE src = 1"""
    for name, sql, delim in (("esputnik", esp_sql, ";"), ("mailchimp", mc_sql, ",")):
        path = out / f"{name}.{fmt}"
        opts = f"HEADER, DELIMITER '{delim}'" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
        con.execute(f"COPY ({sql}) TO '{path}' ({opts})")
        _log(f"  {path.name}: {time.perf_counter() - t:.1f}s", quiet)
        t = time.perf_counter()
    con.execute("DROP VIEW rx")
    con.unregister("r")
    del rtab

    names = np.array([f"esputnik.{fmt}", f"mailchimp.{fmt}"])
    role_names = np.array(ROLE_NAMES)
    src = records["src"][order]
    fam, xfer = records["fam_partner"][order], records["xfer_partner"][order]
    detail = pa.table(
        {
            "source": pa.DictionaryArray.from_arrays(pa.array(src.astype(np.int8)), pa.array(names)),
            "row": records["row"][order],
            "person_id": records["pid"][order],
            "link_group": records["link_group"][order],
            "reach_group": records["reach_group"][order],
            "family_partner": pa.array(fam, mask=fam < 0),
            "transfer_partner": pa.array(xfer, mask=xfer < 0),
            "role": pa.DictionaryArray.from_arrays(pa.array(records["role"][order]), pa.array(role_names)),
        }
    )
    con.register("d", detail)
    con.execute(
        f"COPY (SELECT CAST(source AS VARCHAR) AS source, row, person_id FROM d) "
        f"TO '{out / 'truth.csv'}' (HEADER, DELIMITER ',')"
    )
    con.execute(
        f"COPY (SELECT * REPLACE (CAST(source AS VARCHAR) AS source, CAST(role AS VARCHAR) AS role) FROM d) "
        f"TO '{out / 'truth_detail.parquet'}' (FORMAT parquet, COMPRESSION zstd)"
    )
    _log(f"  truth: {time.perf_counter() - t:.1f}s", quiet)
    con.close()


def generate(
    records: int, seed: int, out: str | Path, fmt: str = "csv", threads: int | None = None, quiet: bool = True
) -> dict:
    """Generate the files into ``out``; returns the statistics (also written to stats.json)."""
    if fmt not in ("csv", "parquet"):
        raise ValueError("format must be csv or parquet")
    if records < 1:
        raise ValueError("records must be >= 1")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    persons, recs, stats = build(records, seed)
    t1 = time.perf_counter()
    _log(f"  decisions (numpy): {t1 - t0:.1f}s", quiet)
    render(persons, recs, out, fmt, seed, threads, quiet)
    t2 = time.perf_counter()
    stats = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "format": fmt,
        **stats,
        "seconds": {"numpy": round(t1 - t0, 2), "write": round(t2 - t1, 2), "total": round(t2 - t0, 2)},
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, required=True, help="total records in both files")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--format", choices=["csv", "parquet"], default="csv")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    stats = generate(a.records, a.seed, a.out, a.format, a.threads, a.quiet)
    if not a.quiet:
        print(
            f"{stats['records']} records ({stats['esputnik_rows']} eSputnik, {stats['mailchimp_rows']} "
            f"Mailchimp), {stats['persons']} persons -> {a.out} in {stats['seconds']['total']}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
