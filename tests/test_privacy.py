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

from shizu.dataset.privacy import PII_TYPES, PLACEHOLDERS, Redactor, RedactResult

CORPUS = Path(__file__).resolve().parent / "fixtures" / "pii"
REAL_EXPORTS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real-exports"
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
                         "PRIVATE_KEY", "SECRET")
    assert PLACEHOLDERS == {
        "EMAIL": "<EMAIL>", "PHONE": "<PHONE>", "IPV4": "<IP>", "IPV6": "<IP>", "CARD": "<CARD>",
        "IBAN": "<IBAN>", "DISCORD_TOKEN": "<DISCORD_TOKEN>", "API_KEY": "<API_KEY>",
        "PRIVATE_KEY": "<SECRET>", "SECRET": "<SECRET>",
    }


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
]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_leaves_lookalikes_alone(text: str) -> None:
    assert REDACTOR.find(text) == []


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


def test_corpus_is_large_enough_and_consistent() -> None:
    positives, clean = load_jsonl("positives.jsonl"), load_jsonl("clean.jsonl")
    per_type = Counter(span["type"] for record in positives for span in record["spans"])
    assert sum(per_type.values()) >= 200
    assert set(per_type) == set(PII_TYPES) and min(per_type.values()) >= 8
    assert len(clean) == 1000 and len({record["text"] for record in clean}) == 1000
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


def test_recall_and_false_positives_on_the_corpus() -> None:
    positives, clean = load_jsonl("positives.jsonl"), load_jsonl("clean.jsonl")
    labelled: Counter[str] = Counter()
    recalled: Counter[str] = Counter()
    spurious = []
    for record in positives:
        found = {(f.type, f.start, f.end) for f in REDACTOR.find(record["text"])}
        expected = {(s["type"], s["start"], s["end"]) for s in record["spans"]}
        for kind, _, _ in expected:
            labelled[kind] += 1
        for kind, _, _ in expected & found:
            recalled[kind] += 1
        spurious += sorted(found - expected)
    flagged = [record["text"] for record in clean if REDACTOR.find(record["text"])]
    recall = sum(recalled.values()) / sum(labelled.values())
    fp_rate = len(flagged) / len(clean)

    print(f"\nPII corpus: {sum(labelled.values())} labelled spans in {len(positives)} lines, {len(clean)} clean lines")
    for kind in PII_TYPES:
        print(f"  {kind:<14} recall {recalled[kind]:>3}/{labelled[kind]:<3} = {recalled[kind] / labelled[kind]:.1%}")
    print(f"  overall recall {recall:.2%}; extra findings in positive lines: {len(spurious)}")
    print(f"  false positives: {len(flagged)}/{len(clean)} clean lines = {fp_rate:.2%}")
    sets = (("clean look-alikes", [r["text"] for r in clean]), ("positives", [r["text"] for r in positives]))
    for name, texts in sets:
        ours = _messages_per_second(texts, REDACTOR.redact)
        floor = _messages_per_second(texts, lambda text: EMAIL_BASELINE.sub("<EMAIL>", text))
        print(f"  throughput on {name}: {ours:,.0f} msg/s ({1e6 / ours:.1f} µs/msg); "
              f"one email re.sub: {floor:,.0f} msg/s; ratio {floor / ours:.1f}x")

    assert recall >= 0.99, f"recall {recall:.2%}"
    assert fp_rate <= 0.01, f"false positives: {flagged}"
    assert len(spurious) <= 0.01 * sum(labelled.values()), spurious


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


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason="shared real-export fixtures not present")
def test_real_discord_messages_hold_no_pii() -> None:
    texts = real_discord_messages()
    assert len(texts) == 505
    assert [(text, REDACTOR.find(text)) for text in texts if REDACTOR.find(text)] == []
    ours = _messages_per_second(texts, REDACTOR.redact)
    floor = _messages_per_second(texts, lambda text: EMAIL_BASELINE.sub("<EMAIL>", text))
    print(f"\n  throughput on {len(texts)} real Discord messages: {ours:,.0f} msg/s ({1e6 / ours:.2f} µs/msg); "
          f"one email re.sub: {floor:,.0f} msg/s; ratio {floor / ours:.1f}x")
