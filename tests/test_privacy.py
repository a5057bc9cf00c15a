"""PII redaction: exact behaviour per type, look-alikes left alone, and recall / false positives
measured on the labelled corpus in tests/fixtures/pii/ (run with ``-s`` to see the figures)."""

from __future__ import annotations

import base64
import csv
import importlib.util
import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from real_exports import REAL_EXPORTS, needs_real
from shizu.dataset.privacy import PII_TYPES, PLACEHOLDERS, Redactor, RedactResult

CORPUS = Path(__file__).resolve().parent / "fixtures" / "pii"
REDACTOR = Redactor()
EMAIL_BASELINE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")  # throughput floor of any regex redactor: one pass


def load_jsonl(name: str) -> list[dict]:
    with (CORPUS / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def one(text: str) -> tuple[str, list[tuple[str, str]]]:
    result = REDACTOR.redact(text)
    return result.text, result.found


def discord_token(user_id: str) -> str:
    first = base64.urlsafe_b64encode(user_id.encode()).decode().rstrip("=")
    return f"{first}.GhK2aB.xY7pQm3nR8sT1uV4wZ9aB2cD5eF6gH0iJ3kL"


def luhn_complete(partial: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return partial + str((10 - total % 10) % 10)


# --- the API other stages rely on ------------------------------------------------------------------


def test_types_and_placeholders_are_the_documented_ones() -> None:
    assert PII_TYPES == ("EMAIL", "PHONE", "IPV4", "IPV6", "CARD", "IBAN", "DISCORD_TOKEN", "API_KEY",
                         "PRIVATE_KEY", "SECRET", "SSN", "NI_NUMBER", "PASSPORT")
    assert PLACEHOLDERS == {
        "EMAIL": "<EMAIL>", "PHONE": "<PHONE>", "IPV4": "<IP>", "IPV6": "<IP>", "CARD": "<CARD>",
        "IBAN": "<IBAN>", "DISCORD_TOKEN": "<DISCORD_TOKEN>", "API_KEY": "<API_KEY>",
        "PRIVATE_KEY": "<SECRET>", "SECRET": "<SECRET>", "SSN": "<SSN>", "NI_NUMBER": "<NI_NUMBER>",
        "PASSPORT": "<PASSPORT>",
    }
    documented = __import__("shizu.dataset.privacy", fromlist=["_"]).__doc__
    for kind, placeholder in PLACEHOLDERS.items():
        assert f"``{kind}``" in documented and f"``{placeholder}``" in documented, kind


def test_text_without_pii_comes_back_unchanged() -> None:
    text = "lol same, see you at 21:30"
    result = REDACTOR.redact(text)
    assert result == RedactResult(text, [])
    assert result.text is text


def test_every_type_gets_its_placeholder_in_order() -> None:
    text = (
        "a@b.io +44 20 7946 0958 8.8.4.4 2001:db8::8a2e:370:7334 4111 1111 1111 1111 "
        "DE89370400440532013000 " + discord_token("1087654321098765432") + " ghp_4kT9xQ2mR7vB1nL8pZ3wY6sD0fH5jC2aE9uK "
        "password=hunter2 -----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY-----"
    )
    redacted, found = one(text)
    assert redacted == (
        "<EMAIL> <PHONE> <IP> <IP> <CARD> <IBAN> <DISCORD_TOKEN> <API_KEY> password=<SECRET> <SECRET>"
    )
    assert [kind for kind, _ in found] == ["EMAIL", "PHONE", "IPV4", "IPV6", "CARD", "IBAN", "DISCORD_TOKEN",
                                           "API_KEY", "SECRET", "PRIVATE_KEY"]
    assert found[0] == ("EMAIL", "a@b.io") and found[8] == ("SECRET", "hunter2")


# --- exact behaviour per type -----------------------------------------------------------------------

REDACTED = [
    # emails
    ("mail me at john.smith+work@gmail.com pls", "mail me at <EMAIL> pls", [("EMAIL", "john.smith+work@gmail.com")]),
    ("(Oskar.Novak@web.de)", "(<EMAIL>)", [("EMAIL", "Oskar.Novak@web.de")]),
    ("müller@bücher.de ok", "<EMAIL> ok", [("EMAIL", "müller@bücher.de")]),
    # phones: international and national layouts from the brief
    ("+44 20 7946 0958", "<PHONE>", [("PHONE", "+44 20 7946 0958")]),
    ("call +1 (415) 555-0132 now", "call <PHONE> now", [("PHONE", "+1 (415) 555-0132")]),
    ("+33 6 12 34 56 78.", "<PHONE>.", [("PHONE", "+33 6 12 34 56 78")]),
    ("office 0049 30 1234567", "office <PHONE>", [("PHONE", "0049 30 1234567")]),
    ("(415) 555-0132 or 415-555-0132", "<PHONE> or <PHONE>", [("PHONE", "(415) 555-0132"), ("PHONE", "415-555-0132")]),
    ("07911 123456 after 6", "<PHONE> after 6", [("PHONE", "07911 123456")]),
    ("+44 (0)20 7946 0958", "<PHONE>", [("PHONE", "+44 (0)20 7946 0958")]),
    ("handy 0171/1234567", "handy <PHONE>", [("PHONE", "0171/1234567")]),
    ("text me on 07911123456", "text me on <PHONE>", [("PHONE", "07911123456")]),
    ("+447911123456", "<PHONE>", [("PHONE", "+447911123456")]),
    ("415-555-0132 2 times", "<PHONE> 2 times", [("PHONE", "415-555-0132")]),
    # IP addresses
    ("connect to 51.68.204.13:25565", "connect to <IP>:25565", [("IPV4", "51.68.204.13")]),
    ("http://192.168.0.1/admin", "http://<IP>/admin", [("IPV4", "192.168.0.1")]),
    ("ip 1.2.3.4", "ip <IP>", [("IPV4", "1.2.3.4")]),
    ("[2001:db8::1]:8080", "[<IP>]:8080", [("IPV6", "2001:db8::1")]),
    ("fe80::1 on eth0", "<IP> on eth0", [("IPV6", "fe80::1")]),
    # cards
    ("4111 1111 1111 1111 exp 12/27", "<CARD> exp 12/27", [("CARD", "4111 1111 1111 1111")]),
    ("5555-5555-5555-4444", "<CARD>", [("CARD", "5555-5555-5555-4444")]),
    ("amex 3782 822463 10005", "amex <CARD>", [("CARD", "3782 822463 10005")]),
    ("4111111111111111", "<CARD>", [("CARD", "4111111111111111")]),
    # IBANs
    ("iban GB82 WEST 1234 5698 7654 32 thanks", "iban <IBAN> thanks", [("IBAN", "GB82 WEST 1234 5698 7654 32")]),
    ("DE89370400440532013000.", "<IBAN>.", [("IBAN", "DE89370400440532013000")]),
    # Discord tokens
    ("client.run('" + discord_token("1087654321098765432") + "')", "client.run('<DISCORD_TOKEN>')",
     [("DISCORD_TOKEN", discord_token("1087654321098765432"))]),
    ("mfa." + "a1B2" * 21, "<DISCORD_TOKEN>", [("DISCORD_TOKEN", "mfa." + "a1B2" * 21)]),
    # API keys
    ("key sk-proj-abc123DEF456ghi789JKL012mno", "key <API_KEY>", [("API_KEY", "sk-proj-abc123DEF456ghi789JKL012mno")]),
    ("AKIAIOSFODNN7EXAMPLE", "<API_KEY>", [("API_KEY", "AKIAIOSFODNN7EXAMPLE")]),
    ("xoxb-123456789012-1234567890123-abcdefABCDEF123456",
     "<API_KEY>", [("API_KEY", "xoxb-123456789012-1234567890123-abcdefABCDEF123456")]),
    ("AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "<API_KEY>", [("API_KEY", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY")]),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "<API_KEY>", [("API_KEY", "sk_live_4eC39HqLyjWDarjtT1zdp7dc")]),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123",
     "<API_KEY>", [("API_KEY", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123")]),
    # the key's own type wins over the assignment around it
    ("export OPENAI_API_KEY=sk-abc123DEF456ghi789JKL012", "export OPENAI_API_KEY=<API_KEY>",
     [("API_KEY", "sk-abc123DEF456ghi789JKL012")]),
    # private keys, including one cut off before its END line
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY----- done", "<SECRET> done",
     [("PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----")]),
    ("oops -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r", "oops <SECRET>",
     [("PRIVATE_KEY", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r")]),
    # secrets: assignments, quoted values, prose with a secret-looking value, webhooks
    ("password=hunter2", "password=<SECRET>", [("SECRET", "hunter2")]),
    ("DB_PASSWORD=Summer2024!", "DB_PASSWORD=<SECRET>", [("SECRET", "Summer2024!")]),
    ('{"password": "correct horse"}', '{"password": "<SECRET>"}', [("SECRET", "correct horse")]),
    ("the wifi password is hunter2.", "the wifi password is <SECRET>.", [("SECRET", "hunter2")]),
    ("login: mike / pw: tr0ub4dor&3", "login: mike / pw: <SECRET>", [("SECRET", "tr0ub4dor&3")]),
    ("https://discord.com/api/webhooks/123456789012345678/" + "aB3_" * 17, "<SECRET>",
     [("SECRET", "https://discord.com/api/webhooks/123456789012345678/" + "aB3_" * 17)]),
    # phone numbers in ranges libphonenumber calls invalid, shaped like real ones
    ("+1 555 0100 123", "<PHONE>", [("PHONE", "+1 555 0100 123")]),  # area code 555: never assigned
    ("call 07700 900123", "call <PHONE>", [("PHONE", "07700 900123")]),  # Ofcom's drama range
    ("+44 7700 900123 or 0044 7700 900456", "<PHONE> or <PHONE>",
     [("PHONE", "+44 7700 900123"), ("PHONE", "0044 7700 900456")]),
    ("01632 960001", "<PHONE>", [("PHONE", "01632 960001")]),
    ("06 39 98 12 34", "<PHONE>", [("PHONE", "06 39 98 12 34")]),  # ARCEP's fiction range
    ("(624) 555-0123 is new", "<PHONE> is new", [("PHONE", "(624) 555-0123")]),  # area code newer than the metadata
    ("Sam (07700 900123)", "Sam (<PHONE>)", [("PHONE", "07700 900123")]),
    # US Social Security numbers
    ("my ssn is 123-45-6789", "my ssn is <SSN>", [("SSN", "123-45-6789")]),
    ("078-05-1120", "<SSN>", [("SSN", "078-05-1120")]),
    ("SSN: 123456789", "SSN: <SSN>", [("SSN", "123456789")]),
    ("social security number 123 45 6789", "social security number <SSN>", [("SSN", "123 45 6789")]),
    ("my ssn for the account is 123-45-6789", "my ssn for the account is <SSN>", [("SSN", "123-45-6789")]),
    # UK National Insurance numbers
    ("AB 12 34 56 C", "<NI_NUMBER>", [("NI_NUMBER", "AB 12 34 56 C")]),
    ("NI: JG103759A.", "NI: <NI_NUMBER>.", [("NI_NUMBER", "JG103759A")]),
    ("my ni number is ab123456c", "my ni number is <NI_NUMBER>", [("NI_NUMBER", "ab123456c")]),
    ("national insurance AB 12 34 56", "national insurance <NI_NUMBER>", [("NI_NUMBER", "AB 12 34 56")]),
    # passport numbers, when labelled
    ("passport no. X1234567", "passport no. <PASSPORT>", [("PASSPORT", "X1234567")]),
    ("Passport number: 533380006 exp 2031", "Passport number: <PASSPORT> exp 2031", [("PASSPORT", "533380006")]),
    ("my passport number is C01X00T47", "my passport number is <PASSPORT>", [("PASSPORT", "C01X00T47")]),
    ("passport #GA123456", "passport #<PASSPORT>", [("PASSPORT", "GA123456")]),
    # API keys right after an underscore (variable and file names)
    ("token_ghp_4kT9xQ2mR7vB1nL8pZ3wY6sD0fH5jC2aE9uK", "token_<API_KEY>",
     [("API_KEY", "ghp_4kT9xQ2mR7vB1nL8pZ3wY6sD0fH5jC2aE9uK")]),
]


@pytest.mark.parametrize(("text", "redacted", "found"), REDACTED, ids=[r[0][:40] for r in REDACTED])
def test_redacts_exactly(text: str, redacted: str, found: list[tuple[str, str]]) -> None:
    assert one(text) == (redacted, found)


SNOWFLAKE_18 = luhn_complete("4" + "1" * 16)  # Luhn-valid, card-like first digit, but snowflake length
SNOWFLAKE_19 = luhn_complete("1" + "2" * 17)  # Luhn-valid 19 digits starting with 1, like today's ids
ORDER_16 = luhn_complete("4" + "3" * 14)  # Luhn-valid card length after an id word

LOOKALIKES = [
    "meet at 21:30", "9.30pm works", "21:30:15 in the log", "on 2024-03-02", "02/03/2024 or 3/2/24", "09.10.2014 1800",
    "$1,299.99 lmao", "€15 each", "£12.50", "1.299,99 €", "v1.2.3", "python 3.11.7", "version 1.2.3.4", "v1.2.3.4",
    "update to 4.2.0.1 first", "10.0.19045.3803", "won 3-2", "21-19 21-17", "in 2019", "1990-2003", "45%", "99.9%",
    "2d6+3", "1d20", ":3 :-) <3 xD", "https://tenor.com/view/cat-dance-gif-1234567890123456789",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "https://youtu.be/dQw4w9WgXcQ", "@everyone @Thomas",
    ":pepe_laugh: :skull:", "<@!228881622768812032>", "<:kekw:1012224565567721552>", "<t:1709400000:R>",
    f"my id is {SNOWFLAKE_18}", f"id {SNOWFLAKE_19}", f"order number {ORDER_16}", "order #482-193-5521",
    "SKU 0123-456-789", "1709400000 unix", "1709400000123 ms", "icon@2x.png", "user@localhost", "meet @ 5",
    "4111 1111 1111 1112", "GB83 WEST 1234 5698 7654 32", "+999 123 456 789", "256.1.1.1", "01.02.03.04",
    "127.0.0.1 and ::1 and 0.0.0.0", "12::30", "std::vector<int>", "00:1A:2B:3C:4D:5E", "password: forgot it lol",
    "the token is invalid", "my password is wrong", "token: see pinned msg", "api key? in the env file",
    "password=<SECRET>", "sk-learn is a typo", "task-1234567890123456789012", "4 8 15 16 23 42", "ISBN 0-306-40615-2",
    base64.urlsafe_b64encode(b"hello there friend").decode().rstrip("=") + ".GhK2aB.xY7pQm3nR8sT1uV4wZ9aB2cD5eF6gH0i",
    # phone-shaped but impossible: NANP area/exchange from 0/1, unknown country code, too short, dates
    "123-456-7890", "(415) 123-4567", "+999 123 456 789", "+1 234 56", "call 555-0123", "photo 2024-03-02 21-14-05",
    "02-03-2024 21-30", "01 02 2024 10 30",
    "order 07700 900123",
    # SSNs never issued, and 9 digits without an SSN word
    "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "123456789 views", "123 45 6789",
    "order 123-45-6789",
    # NI numbers: HMRC's specimen QQ, prefixes never issued, bad suffix, lower case without an NI word
    "QQ 12 34 56 C", "BG 12 34 56 A", "GB123456A", "DA123456A", "AO 12 34 56 B", "AB 12 34 56 E", "ab123456c",
    "AB 12 34 56",
    # passports without a number
    "passport: expired", "passport photo 2x2", "passport 2x2inch", "my passport expires 2027-05-01",
    "passport no. pls?? i forgot it", "boarding pass is 12B",
]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_leaves_lookalikes_alone(text: str) -> None:
    assert REDACTOR.find(text) == []


# --- strings other than message text: URLs, local paths, file names ------------------------------------

_TOKEN = discord_token("1087654321098765432")
URLS_WITH_PII = [  # the catalogue keeps a URL only when url_findings finds nothing: every type counts
    ("EMAIL", "https://x.org/share?to=lena.kim%40proton.me", "lena.kim@proton.me"),
    ("PHONE", "https://x.org/contact?phone=%2B447911123456", "+447911123456"),
    ("PHONE", "https://x.org/contact?tel=07700900123", "07700900123"),
    ("PHONE", "https://wa.me/447911123456", "+447911123456"),
    ("PHONE", "https://x.org/call/07911%20123456", "07911 123456"),
    ("IPV4", "http://86.12.201.77:8080/admin", "86.12.201.77"),
    ("IPV6", "http://[2001:db8::8a2e:370:7334]:8080/", "2001:db8::8a2e:370:7334"),
    ("CARD", "https://shop.example/pay?card=4111111111111111&exp=1227", "4111111111111111"),
    ("IBAN", "https://pay.example/?iban=DE89370400440532013000", "DE89370400440532013000"),
    ("DISCORD_TOKEN", f"https://x.org/login?token={_TOKEN}", _TOKEN),
    ("API_KEY", "https://api.example/v1?key=sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("PRIVATE_KEY", "https://paste.example/raw#-----BEGIN%20PRIVATE%20KEY-----%0AMIIEabc%0A-----END%20PRIVATE%20KEY-----",
     "-----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY-----"),
    ("SECRET", "https://x.org/login?user=mike&password=hunter2", "hunter2"),
    ("SSN", "https://forms.example/apply?ssn=123-45-6789", "123-45-6789"),
    ("SSN", "https://forms.example/apply?ssn=123456789", "123456789"),
    ("NI_NUMBER", "https://forms.example/apply?ni=AB123456C", "AB123456C"),
    ("PASSPORT", "https://visa.example/check?passport=X1234567", "X1234567"),
    ("EMAIL", "/home/me/exports/DM - lena.kim@proton.me_Files/cat.png", "lena.kim@proton.me"),
    ("PHONE", "C:\\Users\\me\\exports\\call_me_07911_123456.jpg", "07911_123456"),
]


@pytest.mark.parametrize(("kind", "url", "value"), URLS_WITH_PII, ids=[f"{k}:{u[:30]}" for k, u, _ in URLS_WITH_PII])
def test_url_findings_cover_every_type(kind: str, url: str, value: str) -> None:
    assert REDACTOR.url_findings(url) == [(kind, value)]


FILE_NAMES = [
    ("john.smith@gmail.com.png", [("EMAIL", "john.smith@gmail.com")]),
    ("CV_maria.garcia@outlook.com.pdf", [("EMAIL", "maria.garcia@outlook.com")]),
    ("call_me_07911_123456.jpg", [("PHONE", "07911_123456")]),
    ("+44 7911 123456.vcf", [("PHONE", "+44 7911 123456")]),
    ("passport_X1234567.jpg", [("PASSPORT", "X1234567")]),
    ("token_ghp_4kT9xQ2mR7vB1nL8pZ3wY6sD0fH5jC2aE9uK.txt", [("API_KEY", "ghp_4kT9xQ2mR7vB1nL8pZ3wY6sD0fH5jC2aE9uK")]),
    ("IMG_20240302_211405.jpg", []),
    ("photo_2024-03-02_21-14-05.jpg", []),  # Telegram: a date and a time, not a French number
    ("Screenshot_2024-03-02-21-14-05-123_com.discord.jpg", []),
    ("VID-20240302-WA0012.mp4", []),
    ("icon@2x.png", []),
]


@pytest.mark.parametrize(("name", "found"), FILE_NAMES, ids=[n for n, _ in FILE_NAMES])
def test_file_names_are_read_without_their_extension_and_underscores(name: str, found: list) -> None:
    findings = REDACTOR.find_in_filename(name)
    assert [(f.type, f.text) for f in findings] == found
    assert all(name[f.start : f.end] == f.text for f in findings)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet="0123456789 +-.:/()@abcxyzAKIBEGNWST_=\n", max_size=80))
def test_findings_are_ordered_disjoint_slices_and_redaction_substitutes_them(text: str) -> None:
    findings = REDACTOR.find(text)
    position = 0
    rebuilt = []
    for finding in findings:
        assert finding.type in PII_TYPES
        assert position <= finding.start < finding.end and text[finding.start : finding.end] == finding.text
        rebuilt += [text[position : finding.start], PLACEHOLDERS[finding.type]]
        position = finding.end
    result = REDACTOR.redact(text)
    assert result.text == "".join(rebuilt) + text[position:]
    assert result.found == [(f.type, f.text) for f in findings]


# --- the labelled corpus ----------------------------------------------------------------------------


def load_generator():
    spec = importlib.util.spec_from_file_location("pii_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_files_are_what_the_generator_writes() -> None:
    for name, content in load_generator().build().items():
        assert (CORPUS / name).read_text(encoding="utf-8") == content, f"{name}: rerun make_corpus.py"


FIELDS = ("text", "speaker", "channel", "server", "title", "filename", "url")
FIRST_POSITIVES, FIRST_CLEAN = 389, 1000  # the first revision's lines come first, unchanged


def test_corpus_is_large_enough_and_consistent() -> None:
    positives, clean = load_jsonl("positives.jsonl"), load_jsonl("clean.jsonl")
    per_type = Counter(span["type"] for record in positives for span in record["spans"])
    assert sum(per_type.values()) >= 500
    assert set(per_type) == set(PII_TYPES) and min(per_type.values()) >= 8
    assert {record.get("field", "text") for record in positives + clean} == set(FIELDS)
    assert (len(positives), len(clean)) == (549, 1177)
    for field in FIELDS:
        texts = [record["text"] for record in clean if record.get("field", "text") == field]
        assert len(set(texts)) == len(texts), field
    for record in positives:
        for span in record["spans"]:
            assert record["text"][span["start"] : span["end"]] == span["value"]


def _messages_per_second(texts: list[str], redact, min_seconds: float = 0.3) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        for text in texts:
            redact(text)
        done += len(texts)
    return done / elapsed


def _found(field: str, text: str) -> Counter:
    """What the build's check for ``field`` finds: ``(type, start, end)``, or ``(type,)`` for a URL
    (whose findings are in its decoded pieces, so only their types and number compare)."""
    if field == "url":
        return Counter((kind,) for kind, _ in REDACTOR.url_findings(text))
    finder = REDACTOR.find_in_filename if field == "filename" else REDACTOR.find
    return Counter((f.type, f.start, f.end) for f in finder(text))


def _measure(positives: list[dict], clean: list[dict]) -> dict:
    labelled: Counter[str] = Counter()
    recalled: Counter[str] = Counter()
    per_field: dict[str, list[int]] = {field: [0, 0, 0, 0] for field in FIELDS}  # recalled, labelled, flagged, clean
    spurious, missed = [], []
    for record in positives:
        field = record.get("field", "text")
        found = _found(field, record["text"])
        expected = Counter(
            (s["type"],) if field == "url" else (s["type"], s["start"], s["end"]) for s in record["spans"]
        )
        for key, n in expected.items():
            labelled[key[0]] += n
            recalled[key[0]] += min(n, found[key])
            per_field[field][1] += n
            per_field[field][0] += min(n, found[key])
        missed += [(record["text"], key) for key in expected - found]
        spurious += [(record["text"], key) for key in found - expected]
    flagged = []
    for record in clean:
        field = record.get("field", "text")
        per_field[field][3] += 1
        if _found(field, record["text"]):
            per_field[field][2] += 1
            flagged.append(record["text"])
    return {"labelled": labelled, "recalled": recalled, "per_field": per_field, "spurious": spurious,
            "missed": missed, "flagged": flagged}


def test_recall_and_false_positives_on_the_corpus() -> None:
    positives, clean = load_jsonl("positives.jsonl"), load_jsonl("clean.jsonl")
    first = _measure(positives[:FIRST_POSITIVES], clean[:FIRST_CLEAN])
    every = _measure(positives, clean)
    labelled, recalled, flagged = every["labelled"], every["recalled"], every["flagged"]
    n_clean_text = every["per_field"]["text"][3]

    print(f"\nPII corpus: {sum(labelled.values())} labelled spans in {len(positives)} records, {len(clean)} clean records")
    for kind in PII_TYPES:
        print(f"  {kind:<14} recall {recalled[kind]:>3}/{labelled[kind]:<3} = {recalled[kind] / labelled[kind]:.1%}")
    for field, (hit, n, fp, n_clean) in every["per_field"].items():
        print(f"  field {field:<9} recall {hit:>3}/{n:<3} false positives {fp}/{n_clean}")
    print(f"  overall recall {sum(recalled.values())}/{sum(labelled.values())}"
          f" = {sum(recalled.values()) / sum(labelled.values()):.2%}; extra findings in positive records:"
          f" {len(every['spurious'])}; false positives {len(flagged)}/{len(clean)}"
          f" (message text {every['per_field']['text'][2]}/{n_clean_text})")
    print(f"  first revision only: recall {sum(first['recalled'].values())}/{sum(first['labelled'].values())},"
          f" false positives {len(first['flagged'])}/{FIRST_CLEAN}")
    text = [r["text"] for r in clean if r.get("field", "text") == "text"]
    sets = (("clean look-alikes", text), ("positives", [r["text"] for r in positives if r.get("field", "text") == "text"]))
    for name, texts in sets:
        ours = _messages_per_second(texts, REDACTOR.redact)
        floor = _messages_per_second(texts, lambda text: EMAIL_BASELINE.sub("<EMAIL>", text))
        print(f"  throughput on {name}: {ours:,.0f} msg/s ({1e6 / ours:.1f} µs/msg); "
              f"one email re.sub: {floor:,.0f} msg/s; ratio {floor / ours:.1f}x")

    # Exact figures (bench/RESULTS.md): a change that moves any of them must update both.
    assert (sum(first["recalled"].values()), sum(first["labelled"].values()), len(first["flagged"])) == (404, 407, 2)
    assert dict(labelled) == {
        "EMAIL": 66, "PHONE": 158, "IPV4": 37, "IPV6": 23, "CARD": 38, "IBAN": 40, "DISCORD_TOKEN": 25,
        "API_KEY": 49, "PRIVATE_KEY": 8, "SECRET": 42, "SSN": 31, "NI_NUMBER": 25, "PASSPORT": 26,
    }
    assert dict(labelled - recalled) == {"IBAN": 1, "IPV4": 1, "SECRET": 1}  # the three unsupported formats
    assert sorted(every["missed"]) == [
        ("ibans: de89370400440532013000", ("IBAN", 7, 29)),
        ("ip 192.168.001.001 from the old router", ("IPV4", 3, 18)),
        ("password - hunter2", ("SECRET", 11, 18)),
    ]
    assert every["spurious"] == []
    assert flagged == ["bedrock 1.20.51.1 is out", "seed 5105105105105100 was cursed", "part no 123-45-6789"]
    assert {field: counts[2] for field, counts in every["per_field"].items()} == {
        "text": 3, "speaker": 0, "channel": 0, "server": 0, "title": 0, "filename": 0, "url": 0,
    }


def test_redacting_redacted_text_finds_nothing() -> None:
    for record in load_jsonl("positives.jsonl") + load_jsonl("clean.jsonl"):
        assert REDACTOR.find(REDACTOR.redact(record["text"]).text) == [], record["text"]


# --- real Discord exports ------------------------------------------------------------------------------


def real_discord_messages() -> list[str]:
    texts = []
    for path in sorted(REAL_EXPORTS.glob("discord_data_package_2020/Messages/*/messages.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            texts += [row["Contents"] for row in csv.DictReader(fh)]
    for path in sorted(REAL_EXPORTS.glob("discord_dce/*.json")):
        texts += [message["content"] for message in json.loads(path.read_text(encoding="utf-8"))["messages"]]
    return texts


@needs_real()
def test_real_discord_messages_hold_no_pii() -> None:
    texts = real_discord_messages()
    assert len(texts) == 505
    assert [(text, REDACTOR.find(text)) for text in texts if REDACTOR.find(text)] == []
    ours = _messages_per_second(texts, REDACTOR.redact)
    floor = _messages_per_second(texts, lambda text: EMAIL_BASELINE.sub("<EMAIL>", text))
    print(f"\n  throughput on {len(texts)} real Discord messages: {ours:,.0f} msg/s ({1e6 / ours:.2f} µs/msg); "
          f"one email re.sub: {floor:,.0f} msg/s; ratio {floor / ours:.1f}x")
