"""PII redaction for training text: typed placeholders instead of what nobody should learn from you.

``Redactor().redact(text)`` replaces every detected item with the placeholder of its type and lists
what it replaced, so the build trains on safe text and its privacy report can count findings per
type. Replacing (not dropping) keeps the message's shape: the model learns "here I gave my number",
never the number. ``shizu build`` runs it over every string from an export that can reach the
dataset, the report or the media catalogue, not only message text (``docs/privacy.md`` lists them):
:meth:`Redactor.find_in_filename` reads attachment file names, :meth:`Redactor.url_findings` URLs
and local paths.

========================  ===================  ==========================================================
Type                      Placeholder          What is replaced
========================  ===================  ==========================================================
``EMAIL``                 ``<EMAIL>``          ``local@domain.tld`` (file names like ``icon@2x.png`` are not)
``PHONE``                 ``<PHONE>``          numbers valid for their country per libphonenumber, and
                                               numbers shaped like real ones in ranges it calls invalid
``IPV4``, ``IPV6``        ``<IP>``             addresses ``ipaddress`` accepts
``CARD``                  ``<CARD>``           13–19 digits, card-network first digit, valid Luhn
``IBAN``                  ``<IBAN>``           valid per python-stdnum (mod-97 and the country's layout)
``DISCORD_TOKEN``         ``<DISCORD_TOKEN>``  bot/user tokens whose first part decodes to a user id
``API_KEY``               ``<API_KEY>``        OpenAI/Anthropic, GitHub, AWS, Slack, Google, Stripe,
                                               Hugging Face, npm, GitLab, SendGrid, Telegram keys, JWTs
``PRIVATE_KEY``           ``<SECRET>``         ``-----BEGIN … PRIVATE KEY-----`` blocks
``SECRET``                ``<SECRET>``         the value in ``password=…``, ``token: …``, ``"api_key": "…"``,
                                               ``my password is …``; Discord and Slack webhook URLs
``SSN``                   ``<SSN>``            US Social Security numbers: ``123-45-6789`` (area not 000,
                                               666 or 9xx, group not 00, serial not 0000); ``123 45 6789``
                                               and bare ``123456789`` only right after an SSN word
``NI_NUMBER``             ``<NI_NUMBER>``      UK National Insurance numbers ``AB 12 34 56 C`` with HMRC's
                                               prefix rules; lower case or no suffix letter only after
                                               an NI word ("NI number", "national insurance", "nino")
``PASSPORT``              ``<PASSPORT>``       the number after "passport no.", "passport number:",
                                               "passport #" (6–9 letters and digits, 3+ digits)
========================  ===================  ==========================================================

Decisions on chat look-alikes (each one is pinned by a test):

- A candidate is replaced only when its validator accepts it, so times, dates, prices, scores,
  dice rolls and version strings never match the phone, card or IBAN shapes they resemble.
- A phone number needs ``+``/``00`` and an existing country code, or a national layout with
  separators (``(415) 555-0132``, ``415-555-0132``, ``07911 123456``, ``06 12 34 56 78``,
  ``030/1234567``) in the US or a trunk-0 country (GB, IE, FR, BE, NL, DE, AT, CH, SE, AU, NZ, JP).
  A bare digit run counts only right after a phone word ("call", "text me on", "my number is").
  Right after an id word ("order", "tracking", "id", "ref"…) a national-format number or a bare
  card-length run is taken for the id it names.
- libphonenumber's validity only raises confidence: a number it calls invalid (reserved for drama
  like ``07700 900123``, fictional like ``+1 555 0100 123``, or allocated after its metadata like
  area code 624) is still a phone number when it is shaped like one: a length the country dials
  (``is_possible_number``), for ``+``/``00`` numbers the whole country code in the first group and
  groups of two digits or more after the next one; for US layouts an area code and exchange that
  start with 2–9 and are not N11 (``123-456-7890`` is not a number). A digit run that starts with a
  date (``YYYY-MM-DD``, ``DD-MM-YYYY``) is a date and a time (``photo_2024-03-02_21-14-05``,
  ``02 03 2024 21 30``), never a number.
- Discord snowflakes (17–20 digits) are never cards: 17–18 digit runs are not card lengths and
  19-digit runs must start with a card-network digit (2–6), while snowflakes start with 1.
- ``1.2.3.4`` is an IP unless a version word or ``v`` precedes it (``version 1.2.3.4``,
  ``v1.2.3.4``, ``update to 1.2.3.4``). Loopback and unspecified addresses (``127.0.0.1``,
  ``::1``, ``0.0.0.0``) identify no one and are kept.
- Phone numbers, cards, IBANs, SSNs, NI and passport numbers are not looked for inside URLs
  (Tenor/YouTube ids are long digit runs) or Discord markup (``<@123…>``, ``<t:1700000000:R>``) in
  text, where the URL becomes a tag anyway; keys, tokens, emails and IPs are.
  :meth:`Redactor.url_findings` does look for them in a URL's decoded path segments and query
  values (``?phone=%2B447911123456``, ``?ssn=123-45-6789``, ``wa.me/447911123456``): a URL with any
  finding is never catalogued.
- ``password: …`` and ``… is …`` forms need a value that looks like a secret (a digit, a symbol,
  mixed case or 12+ characters), so "password: forgot it" and "the token is invalid" stay.

Known gaps, measured as misses / false positives by the corpus: lower-case IBANs, IPs written with
leading zeros (``192.168.001.001``), secrets after a dash (``password - hunter2``); a four-part
version number with no version word before it is taken for an IP, a Luhn-valid 16-digit number
outside any id context for a card, and a part number in SSN layout (``part no 123-45-6789``) for an
SSN. Street addresses, names and dates of birth are not detected (``docs/privacy.md``).

Placeholders hold no digits, ``@`` or assignment values, so redacting redacted text changes nothing.
Speed: a message without a digit, ``@``, ``-----BEGIN`` or a secret word costs a few substring
tests, and each detector runs only on messages that have what it needs (7+ digits for phone
numbers, cards, IBANs and SSNs; six digits in a row for NI numbers; the word "passport" for
passport numbers). :meth:`Redactor.url_findings` skips pieces that are snowflakes or hex signatures.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import phonenumbers
from stdnum import iban, luhn

PLACEHOLDERS: dict[str, str] = {
    "EMAIL": "<EMAIL>",
    "PHONE": "<PHONE>",
    "IPV4": "<IP>",
    "IPV6": "<IP>",
    "CARD": "<CARD>",
    "IBAN": "<IBAN>",
    "DISCORD_TOKEN": "<DISCORD_TOKEN>",
    "API_KEY": "<API_KEY>",
    "PRIVATE_KEY": "<SECRET>",
    "SECRET": "<SECRET>",
    "SSN": "<SSN>",
    "NI_NUMBER": "<NI_NUMBER>",
    "PASSPORT": "<PASSPORT>",
}
PII_TYPES: tuple[str, ...] = tuple(PLACEHOLDERS)

Span = tuple[int, int]


class Finding(NamedTuple):
    """One detected item: its type and where it sits in the original text."""

    type: str
    start: int
    end: int
    text: str


class RedactResult(NamedTuple):
    """The text with placeholders substituted, and ``(type, original)`` per replacement in order."""

    text: str
    found: list[tuple[str, str]]


# --- features: which detectors a message can possibly trigger ---------------------------------

_DIGIT = re.compile(r"[0-9]")
_SEVEN_DIGITS = re.compile(r"[0-9](?:[^0-9]*[0-9]){6}")  # the fewest a phone number, card or IBAN has
_SIX_DIGITS_TOGETHER = re.compile(r"[0-9]{2} ?[0-9]{2} ?[0-9]{2}")  # the digits of an NI number
_SECRET_WORD = re.compile(r"pass|pw|secret|token|key|credential")  # searched in the lower-cased text


def _features(text: str) -> set[str]:
    """Cheap facts (substring tests) that gate the detectors; empty for most chat lines."""
    features = set()
    if _DIGIT.search(text):
        features.add("digit")
        if _SEVEN_DIGITS.search(text):
            features.add("7-digits")
        if _SIX_DIGITS_TOGETHER.search(text):
            features.add("6-digits")
        features.update(c for c in ".:" if c in text)
        if "/api/webhooks/" in text or "hooks.slack.com" in text:
            features.add("webhook")
    if "@" in text:
        features.add("@")
    if "-----BEGIN" in text:
        features.add("pem")
    lower = text.lower()
    if _SECRET_WORD.search(lower):
        features.add("secret-word")
        if "passport" in lower:
            features.add("passport")
    return features


# --- links: where digit-shaped detectors do not look ------------------------------------------

_LINK = re.compile(
    r"\b(?:https?://|www\.)[^\s<>]+"  # URLs: Tenor/YouTube ids, message links
    r"|<(?:@[!&]?|#|a?:\w+:|t:)[0-9]{5,20}(?::[A-Za-z])?>",  # Discord mentions, emoji, timestamps
    re.I,
)


def _overlaps(span: Span, spans: list[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


# --- context cues ---------------------------------------------------------------------------------

_PHONE_CUE = re.compile(
    r"\b(?:call|phone|tel|mobile|cell|whats ?app|signal|text|txt|sms|ring|number|contact|reach)\w*"
    r"(?:\W+\w+){0,3}\W+$",
    re.I,
)
_ID_WORD = re.compile(
    r"\b(?:order|tracking|invoice|account|acct|ref|reference|id|ticket|case|serial|confirmation"
    r"|booking|parcel|package|receipt|transaction|sku|model)\b",
    re.I,
)
_VERSION_CUE = re.compile(
    r"(?:\b(?:version|ver|build|release|patch|update|upgrade|firmware|fw|driver|rev|revision)(?:\s+to)?\W{1,3}"
    r"|\bv\.?\s?)$",
    re.I,
)


def _after_id_word(text: str, start: int) -> bool:
    """Whether an id word ("order", "tracking", "id"...) shortly precedes ``start``."""
    return bool(_ID_WORD.search(text, max(0, start - 40), start))


def _after_phone_word(text: str, start: int) -> bool:
    """Whether a phone word ("call", "text me on", "my number is"...) shortly precedes ``start``."""
    return bool(_PHONE_CUE.search(text, max(0, start - 40), start))


# --- phone numbers ----------------------------------------------------------------------------------

# A digit run with phone separators; which part of it (if any) is a number is decided in code.
_PHONE = re.compile(
    r"(?<![\w+#$€£¥.,/@-])(?<![0-9]:)"  # not inside a word, amount, id, decimal, path, handle or time
    r"(?P<plus>\+)?\(?[0-9](?:(?:[ ./-]|\)[ .-]?|[ .-]?\()?[0-9]){6,18}(?!\w)",
    re.A,
)
_DIGITS = re.compile(r"[0-9]+")
# Countries whose national numbers are written with a trunk 0, tried in turn for "0..." numbers.
_TRUNK_ZERO_REGIONS = ("GB", "IE", "FR", "BE", "NL", "DE", "AT", "CH", "SE", "AU", "NZ", "JP")


def _parse_phone(digits: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(digits if region else "+" + digits, region)
    except phonenumbers.NumberParseException:
        return None


def _valid_phone(digits: str, region: str | None) -> bool:
    """True when libphonenumber knows ``digits`` (``+``-prefixed when ``region`` is None) as a number."""
    number = _parse_phone(digits, region)
    return number is not None and phonenumbers.is_valid_number(number)


def _possible_phone(digits: str, region: str | None) -> bool:
    """True when ``digits`` has a length the country dials, whatever its range (reserved, fictional or
    allocated after this libphonenumber's metadata): an existing country code, then a possible length."""
    number = _parse_phone(digits, region)
    if number is None or phonenumbers.region_code_for_country_code(number.country_code) == "ZZ":
        return False
    return phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE


def _nanp_shaped(digits: str) -> bool:
    """A North American number's structure: area code and exchange start with 2-9 and are not N11."""
    digits = digits[1:] if len(digits) == 11 else digits
    area, exchange = digits[:3], digits[3:6]
    return (
        len(digits) == 10 and area[0] not in "01" and exchange[0] not in "01"
        and area[1:] != "11" and exchange[1:] != "11"
    )


def _is_phone(text: str, groups: list[Span], plus: bool) -> bool:
    """Whether the digit groups (with what separates them in ``text``) form one phone number.

    Layout first (cheap), then context words, then libphonenumber: a valid number, or a number
    shaped like one (country code or trunk prefix, a length the country dials, phone-like grouping)
    in a range libphonenumber does not know as assigned.
    """
    digits = "".join(text[a:b] for a, b in groups)
    sizes = [b - a for a, b in groups]
    if plus:
        return 8 <= len(digits) <= 15 and _international(digits, sizes, prefix=0)
    separated = len(groups) > 1
    separators = "".join(text[a:b] for (_, a), (b, _) in zip(groups, groups[1:], strict=False))
    regions: tuple[str, ...]
    if "/" in separators:
        # Only the German "030/1234567" layout; other slashes are dates and fractions.
        layout_ok, regions = len(groups) == 2 and digits[0] == "0", ("DE",)
    elif digits.startswith("00"):
        if not 10 <= len(digits) <= 17 or _after_id_word(text, groups[0][0]):
            return False
        if not separated and not _after_phone_word(text, groups[0][0]):
            return False
        return _international(digits[2:], sizes, prefix=2)
    elif digits.startswith("0"):
        # Dots only on their own ("06.12.34.56.78"), never a dotted date and a time ("09.10.2014 1800").
        dots_ok = "." not in separators or set(separators) == {"."}
        grouped = 2 <= sizes[0] <= 5 and min(sizes[1:]) >= 2 and dots_ok if separated else True
        layout_ok, regions = 9 <= len(digits) <= 12 and grouped, _TRUNK_ZERO_REGIONS
    else:
        layout_ok = (
            sizes == [3, 3, 4]
            or (sizes == [1, 3, 3, 4] and digits[0] == "1")
            or (not separated and (len(digits) == 10 or (len(digits) == 11 and digits[0] == "1")))
        )
        regions = ("US",)
    if not layout_ok or _after_id_word(text, groups[0][0]):
        return False
    if not separated and not _after_phone_word(text, groups[0][0]):
        return False
    if any(_valid_phone(digits, region) for region in regions):
        return True
    if regions == ("US",):
        return _nanp_shaped(digits)
    return any(_possible_phone(digits, region) for region in regions)


def _international(digits: str, sizes: list[int], prefix: int) -> bool:
    """``+`` / ``00`` numbers: valid, or possible with the country code whole in the first group and
    phone-like groups after it (two digits or more; one single digit right after the country code,
    as in ``+33 6 12 34 56 78``). ``prefix``: the digits before the country code (2 for ``00``)."""
    if _valid_phone(digits, None):
        return True
    number = _parse_phone(digits, None)
    if number is None or not _possible_phone(digits, None):
        return False
    return len(sizes) == 1 or (
        sizes[0] - prefix >= len(str(number.country_code)) and all(size >= 2 for size in sizes[2:])
    )


def _date_led(text: str, groups: list[Span]) -> bool:
    """Whether a digit run starts with a date: year-month-day (``2024-03-02``, ``2024 03 02``) or
    day-month-year / month-day-year (``02-03-2024``, ``02 03 2024``)."""
    if len(groups) < 3:
        return False
    sizes = [b - a for a, b in groups[:3]]
    a, b, c = (int(text[x:y]) for x, y in groups[:3])
    if sizes == [4, 2, 2]:
        return 1900 <= a <= 2099 and 1 <= b <= 12 and 1 <= c <= 31
    if sizes == [2, 2, 4]:
        return 1900 <= c <= 2099 and 1 <= min(a, b) <= 12 and max(a, b) <= 31
    return False


def _phone_spans(match: re.Match[str]) -> list[Span]:
    """The phone numbers inside one separator-joined digit run, leftmost-longest."""
    text = match.string
    groups = [g.span() for g in _DIGITS.finditer(text, match.start(), match.end())]
    counts = [0]  # counts[k]: digits in groups[:k]
    for a, b in groups:
        counts.append(counts[-1] + b - a)
    plus = match.group("plus") is not None
    spans: list[Span] = []
    i = 3 if _date_led(text, groups) else 0  # "2024-03-02 21-14-05": a date, then a time
    while i < len(groups):
        end = next(
            (j for j in range(len(groups), i, -1)
             if 8 <= counts[j] - counts[i] <= 17 and _is_phone(text, groups[i:j], plus and i == 0)),
            None,
        )
        if end is None:
            i += 1
            continue
        start = match.start() if i == 0 else groups[i][0]
        if i > 0 and text[start - 1] == "(":
            start -= 1
        elif text[start] == "(" and text[groups[i][1] : groups[i][1] + 1] != ")":
            start += 1  # "(07700 900123)": the brackets hold the number, not its area code
        spans.append((start, groups[end - 1][1]))
        i = end
    return spans


# --- cards, IBANs ---------------------------------------------------------------------------------

_CARD = re.compile(
    r"(?<![\w.,/#$€£¥@-])(?<![0-9]:)"
    r"(?:[0-9]{13,19}"
    r"|[0-9]{4}(?P<s>[ -])[0-9]{4}(?P=s)[0-9]{4}(?P=s)[0-9]{4}(?:(?P=s)[0-9]{3})?"  # 16 / 19
    r"|[0-9]{4}(?P<a>[ -])[0-9]{6}(?P=a)[0-9]{4,5})"  # Amex 15 / Diners 14
    r"(?!\w|[.,-][0-9])",
    re.A,
)
_CARD_LENGTHS_UNSEPARATED = {13, 14, 15, 16, 19}  # 17–18 digit runs are Discord snowflakes


def _card_spans(match: re.Match[str]) -> list[Span]:
    raw = match.group()
    digits = raw.replace(" ", "").replace("-", "")
    if raw == digits and (
        len(digits) not in _CARD_LENGTHS_UNSEPARATED or _after_id_word(match.string, match.start())
    ):
        return []
    if digits[0] not in "23456" or not luhn.is_valid(digits):
        return []
    return [match.span()]


_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])", re.A
)


def _iban_spans(match: re.Match[str]) -> list[Span]:
    """The longest valid IBAN at the start of the match (a trailing word group may have joined it)."""
    parts = match.group().split(" ")
    for k in range(len(parts), 0, -1):
        candidate = " ".join(parts[:k])
        if iban.is_valid(candidate):
            return [(match.start(), match.start() + len(candidate))]
    return []


# --- national identity numbers ---------------------------------------------------------------------

_SSN = re.compile(
    r"(?<![\w#$€£¥.,/@-])(?<![0-9]:)"
    r"(?P<area>[0-9]{3})(?P<sep>[- ]?)(?P<group>[0-9]{2})(?P=sep)(?P<serial>[0-9]{4})"
    r"(?!\w|[.,/-][0-9])",
    re.A,
)
_SSN_CUE = re.compile(
    r"\b(?:ssn|ss#|ssa|social[ -]?security|social[ -]?sec|soc\.? ?sec)\w*(?:\W+\w+){0,4}\W*$", re.I
)


def _ssn_spans(match: re.Match[str]) -> list[Span]:
    """US Social Security numbers: ``123-45-6789`` anywhere, ``123 45 6789`` and ``123456789`` only
    right after an SSN word; never area 000, 666 or 9xx, group 00 or serial 0000 (never issued)."""
    area, group, serial = match.group("area", "group", "serial")
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return []
    text, start = match.string, match.start()
    if _SSN_CUE.search(text, max(0, start - 40), start):
        return [match.span()]
    if match.group("sep") != "-" or _after_id_word(text, start):
        return []
    return [match.span()]


_NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])(?P<prefix>[A-Za-z]{2}) ?[0-9]{2} ?[0-9]{2} ?[0-9]{2}(?: ?(?P<suffix>[A-Da-d]))?"
    r"(?![A-Za-z0-9])",
    re.A,
)
_NI_CUE = re.compile(r"\b(?:ni|nin|nino|national[ -]?insurance)\b(?:\W+\w+){0,3}\W*$", re.I)
_NI_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _ni_spans(match: re.Match[str]) -> list[Span]:
    """UK National Insurance numbers (``AB 12 34 56 C``) with HMRC's prefix rules: the first letter
    is not D F I Q U V, the second not D F I O Q U V, and BG GB KN NK NT TN ZZ are never issued.
    Lower case, or no suffix letter, only right after an NI word ("NI number", "national insurance")."""
    prefix, suffix = match.group("prefix"), match.group("suffix")
    upper = prefix.upper()
    if upper[0] in "DFIQUV" or upper[1] in "DFIOQUV" or upper in _NI_BAD_PREFIXES:
        return []
    if suffix is None or not (prefix.isupper() and suffix.isupper()):
        text, start = match.string, match.start()
        if not _NI_CUE.search(text, max(0, start - 40), start):
            return []
    return [match.span()]


_PASSPORT = re.compile(
    r"\bpassport(?:'?s)?(?:\s*(?:no\b\.?|nr\b\.?|num\b\.?|number\b|#|id\b))?"
    r"(?:\s*(?:is|was|[:=#-])\s*|\s+)(?P<value>[A-Za-z0-9]{6,9})(?![\w-])",
    re.I | re.A,
)


def _passport_spans(match: re.Match[str]) -> list[Span]:
    """A passport number right after "passport (no./number/#)": 6-9 letters and digits, three of
    them digits at least (``X1234567``, ``533380006``, ``C01X00T47``, not "2x2inch")."""
    return [match.span("value")] if sum(c.isdigit() for c in match.group("value")) >= 3 else []


# --- IP addresses ---------------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.-])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?!\w|\.[0-9])", re.A)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})?"
    r"(?![\w:]|\.[0-9])",
    re.A,
)


def _ipv4_spans(match: re.Match[str]) -> list[Span]:
    try:
        address = ipaddress.IPv4Address(match.group())
    except ValueError:
        return []
    if address.is_loopback or address.is_unspecified:
        return []
    if _VERSION_CUE.search(match.string, max(0, match.start() - 16), match.start()):
        return []
    return [match.span()]


def _ipv6_spans(match: re.Match[str]) -> list[Span]:
    raw = match.group()
    try:
        address = ipaddress.IPv6Address(raw)
    except ValueError:
        return []
    if address.is_loopback or address.is_unspecified:
        return []
    # "12::30" parses too: ask for an address-like shape (3+ colons or a full 4-hex-digit group).
    if raw.count(":") < 3 and not any(len(part) == 4 for part in raw.split(":")):
        return []
    return [match.span()]


# --- emails -------------------------------------------------------------------------------------------

_EMAIL = re.compile(  # Unicode local parts and domains (müller@bücher.de) are addresses too
    r"(?<![\w.+%-])[^\W_][\w.%+-]{0,63}@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?P<tld>[^\W\d_]{2,24})"
    r"(?![\w@-]|\.\w)"
)
_FILE_EXTENSIONS = frozenset(
    "png jpg jpeg gif webp svg bmp ico tiff mp4 mov webm mkv avi mp3 wav ogg flac txt md pdf json "
    "yaml yml toml csv js ts py rs go java zip gz".split()
)


def _email_spans(match: re.Match[str]) -> list[Span]:
    return [] if match.group("tld").lower() in _FILE_EXTENSIONS else [match.span()]


# --- tokens, keys, secrets ------------------------------------------------------------------------------

_DISCORD_TOKEN = re.compile(
    r"(?<![\w.-])(?:mfa\.[\w-]{80,}|(?P<id>[A-Za-z0-9_-]{23,28})\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,})"
    r"(?![\w.-])",
    re.A,
)


def _discord_token_spans(match: re.Match[str]) -> list[Span]:
    """Keep tokens whose first part is a base64url user id (a snowflake), as Discord issues them."""
    first = match.group("id")
    if first is None:
        return [match.span()]
    try:
        user_id = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))
    except (binascii.Error, ValueError):
        return []
    return [match.span()] if user_id.isdigit() and 17 <= len(user_id) <= 20 else []


_API_KEY = re.compile(
    r"(?<![A-Za-z0-9-])(?:"  # after "_" too: token_ghp_…, a file name or a variable
    r"sk-(?:proj-|ant-[a-z0-9]+-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"  # OpenAI, Anthropic
    r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}"  # GitHub
    r"|(?:AKIA|ASIA)[A-Z0-9]{16}"  # AWS access key id
    r"|xox[abeoprs]-[A-Za-z0-9-]{10,}"  # Slack
    r"|AIza[0-9A-Za-z_-]{35}"  # Google
    r"|[rsp]k_(?:live|test)_[0-9A-Za-z]{16,}"  # Stripe
    r"|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36}|glpat-[A-Za-z0-9_-]{20}"  # Hugging Face, npm, GitLab
    r"|SG\.[\w-]{22}\.[\w-]{43}"  # SendGrid
    r"|[0-9]{8,10}:AA[A-Za-z0-9_-]{33}"  # Telegram bot
    r"|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"  # JWT
    r")(?![\w-])",
    re.A,
)


def _api_key_spans(match: re.Match[str]) -> list[Span]:
    """Issued keys are random: they hold a digit and a letter (prose behind a prefix rarely does)."""
    raw = match.group()
    return [match.span()] if any(c.isdigit() for c in raw) and any(c.isalpha() for c in raw) else []


_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?"
    r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.S,
)

_WEBHOOK = re.compile(
    r"https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[\w-]{20,}"
    r"|https?://hooks\.slack\.com/services/[A-Z0-9]+/[A-Z0-9]+/[A-Za-z0-9]+",
    re.A,
)

_SECRET_ASSIGNMENT = re.compile(
    r"(?:(?<=[_-])|(?<![A-Za-z0-9]))"  # a word, or the end of DB_PASSWORD, OPENAI_API_KEY, x-api-key
    r"(?:pass(?:word|wd|phrase|code)?|pwd?|secret|token|api[ _-]?key|access[ _-]?key|secret[ _-]?key"
    r"|private[ _-]?key|client[ _-]?secret|credentials?)"
    r"(?![A-Za-z0-9])[\"']?(?P<op>\s*[:=]\s*|\s+is\s+)"
    r"(?:\"(?P<dq>[^\"\n]{4,200})\"|'(?P<sq>[^'\n]{4,200})'|`(?P<bq>[^`\n]{4,200})`"
    r"|(?P<bare>[^\s\"'`<>]{4,200}))",
    re.I,
)
_TRAILING_PUNCTUATION = ".,;:?)]}"  # sentence punctuation after a prose value; "!" is kept (Summer2024!)
_MASKS = frozenset("*xX•.")
_PLACEHOLDER_TEXTS = frozenset(PLACEHOLDERS.values())


def _looks_secret(value: str, op: str) -> bool:
    """Whether an unquoted value after ``password=``/``: ``/`` is `` reads as a secret, not prose."""
    if len(value) < 4 or set(value) <= _MASKS:
        return False
    if "=" in op:
        return True
    if len(value) < 6:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_symbol = not value.isalnum()
    plain_word = value.isalpha() and (value.islower() or value.istitle())
    if ":" in op:
        return not (plain_word and len(value) < 12)
    mixed_case = value.isalpha() and not plain_word and not value.isupper()
    return has_symbol or mixed_case or (has_digit and any(c.isalpha() for c in value))


def _secret_spans(match: re.Match[str]) -> list[Span]:
    """The value of a secret assignment; quoted values count whatever they hold, except a placeholder."""
    for quoted in ("dq", "sq", "bq"):
        if match.group(quoted) is not None:
            return [] if match.group(quoted) in _PLACEHOLDER_TEXTS else [match.span(quoted)]
    start, end = match.span("bare")
    while "=" not in match.group("op") and end > start and match.string[end - 1] in _TRAILING_PUNCTUATION:
        end -= 1
    return [(start, end)] if _looks_secret(match.string[start:end], match.group("op")) else []


def _whole(match: re.Match[str]) -> list[Span]:
    return [match.span()]


# --- URLs and paths ----------------------------------------------------------------------------------

_MORE_EXTENSIONS = frozenset("heic heif avif m4v m4a opus docx xlsx pptx odt vcf html htm".split())
# A snowflake or a hex signature (Discord CDN ``ex``/``is``/``hm``), alone or as a query value: no PII type
# is a 17-20 digit run starting with 1 or lower-case hex with a letter, so such pieces are skipped.
_OPAQUE_PIECE = re.compile(r"(?:[^:]*: )?(?:1[0-9]{16,19}|(?=[0-9]*[a-f])[0-9a-f]{8,})")
_QUERY_PHONE_KEY = re.compile(r"phone|tel|mobile|cell|whats ?app|number|msisdn|sms", re.I)


def _url_pieces(url: str, *, path_only: bool = False) -> list[str]:
    """The decoded pieces of a URL (or a local path) that :meth:`Redactor.url_findings` reads as text."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = urlsplit("")._replace(path=url)
    if not parts.netloc and "\\" in url:  # a Windows path
        return [unquote(segment) for segment in re.split(r"[\\/]", url) if segment]
    host = (parts.hostname or "").lower()
    pieces = [parts.netloc] if parts.netloc else []
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    if host in ("wa.me", "api.whatsapp.com") or parts.scheme.lower() in ("tel", "sms", "callto"):
        segments = [f"whatsapp +{s.lstrip('+')}" if s.lstrip("+").isdigit() else s for s in segments]
    pieces += segments
    if path_only:
        return pieces
    for pair in parts.query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        key, value = unquote(key), unquote(value)
        if value.isdigit() and _QUERY_PHONE_KEY.search(key):
            value = "+" + value if not value.startswith("0") else value
        pieces.append(f"{key}: {value}" if value else key)
    if parts.fragment:
        pieces.append(unquote(parts.fragment))
    return pieces


# --- the detector table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Detector:
    """One PII type: candidate regex, the features a text needs for it, and the validator."""

    type: str
    pattern: re.Pattern[str]
    needs: frozenset[str]
    spans: Callable[[re.Match[str]], list[Span]]
    in_links: bool = True  # also replaced inside URLs and Discord markup


# Order is precedence when two findings start at the same place with the same length.
_DETECTORS: tuple[_Detector, ...] = (
    _Detector("PRIVATE_KEY", _PRIVATE_KEY, frozenset({"pem"}), _whole),
    _Detector("API_KEY", _API_KEY, frozenset({"digit"}), _api_key_spans),
    _Detector("DISCORD_TOKEN", _DISCORD_TOKEN, frozenset({"digit", "."}), _discord_token_spans),
    _Detector("SECRET", _WEBHOOK, frozenset({"webhook"}), _whole),
    _Detector("SECRET", _SECRET_ASSIGNMENT, frozenset({"secret-word"}), _secret_spans),
    _Detector("EMAIL", _EMAIL, frozenset({"@"}), _email_spans),
    _Detector("PASSPORT", _PASSPORT, frozenset({"digit", "passport"}), _passport_spans, in_links=False),
    _Detector("SSN", _SSN, frozenset({"7-digits"}), _ssn_spans, in_links=False),
    _Detector("NI_NUMBER", _NI_NUMBER, frozenset({"6-digits"}), _ni_spans, in_links=False),
    _Detector("IBAN", _IBAN, frozenset({"7-digits"}), _iban_spans, in_links=False),
    _Detector("CARD", _CARD, frozenset({"7-digits"}), _card_spans, in_links=False),
    _Detector("IPV6", _IPV6, frozenset({"digit", ":"}), _ipv6_spans),
    _Detector("IPV4", _IPV4, frozenset({"digit", "."}), _ipv4_spans),
    _Detector("PHONE", _PHONE, frozenset({"7-digits"}), _phone_spans, in_links=False),
)


class Redactor:
    """Finds PII in chat text and replaces it with typed placeholders (see the module docstring)."""

    def find(self, text: str) -> list[Finding]:
        """Every PII item in ``text``, in order, without overlaps (earliest, then longest, wins)."""
        features = _features(text)
        if not features:
            return []
        links: list[Span] | None = None
        candidates: list[tuple[int, int, int, int, str]] = []
        for rank, detector in enumerate(_DETECTORS):
            if not detector.needs <= features:
                continue
            for match in detector.pattern.finditer(text):
                for start, end in detector.spans(match):
                    if not detector.in_links:
                        if links is None:
                            links = [m.span() for m in _LINK.finditer(text)]
                        if _overlaps((start, end), links):
                            continue
                    candidates.append((start, start - end, rank, end, detector.type))
        candidates.sort()
        findings: list[Finding] = []
        taken_until = 0
        for start, _, _, end, kind in candidates:
            if start >= taken_until:
                findings.append(Finding(kind, start, end, text[start:end]))
                taken_until = end
        return findings

    def find_in_filename(self, name: str) -> list[Finding]:
        """PII in a file name (``john.smith@gmail.com.png``, ``call_me_07911_123456.jpg``): the name
        without its extension, underscores read as spaces (then as they are, for keys such as
        ``ghp_…``); offsets and texts are the name's own."""
        stem = name
        if "." in name:
            head, ext = name.rsplit(".", 1)
            if ext.lower() in _FILE_EXTENSIONS or ext.lower() in _MORE_EXTENSIONS:
                stem = head
        found = self.find(stem.replace("_", " ")) if "_" in stem else []
        found += [f for f in self.find(stem) if not _overlaps((f.start, f.end), [(g.start, g.end) for g in found])]
        return [Finding(f.type, f.start, f.end, name[f.start : f.end]) for f in sorted(found, key=lambda f: f.start)]

    def url_findings(self, url: str, *, path_only: bool = False) -> list[tuple[str, str]]:
        """``(type, text)`` of the PII anywhere in a URL or local file path: the whole string as for
        text (emails, keys, tokens, IPs, webhooks), then each decoded piece as plain text, where the
        digit-shaped types are looked for too: the host, every path segment as a file name, every
        query parameter as ``name: value`` (so ``?phone=07911123456`` and ``?ssn=123456789`` read with
        their cue word) and the fragment. ``wa.me/447911123456`` (a WhatsApp chat link) is a phone number.

        ``path_only``: only the host and the path segments, what a media label is made of (faster).
        """
        found = [] if path_only else [(f.type, f.text) for f in self.find(url)]
        encoded = "%" in url
        for piece in _url_pieces(url, path_only=path_only):
            if _OPAQUE_PIECE.fullmatch(piece) or not (
                encoded or "@" in piece or _SIX_DIGITS_TOGETHER.search(piece) or _SEVEN_DIGITS.search(piece)
                or "passport" in piece.lower()
            ):
                continue  # ids, hashes, or nothing the whole URL's search has not looked at
            for finding in self.find_in_filename(piece):
                if not any(finding.text in (seen, unquote(seen)) for _, seen in found):
                    found.append((finding.type, finding.text))
        return found

    def redact(self, text: str) -> RedactResult:
        """``text`` with each finding replaced by its type's placeholder, and what was replaced."""
        findings = self.find(text)
        if not findings:
            return RedactResult(text, [])
        pieces: list[str] = []
        position = 0
        for finding in findings:
            pieces.append(text[position : finding.start])
            pieces.append(PLACEHOLDERS[finding.type])
            position = finding.end
        pieces.append(text[position:])
        return RedactResult("".join(pieces), [(f.type, f.text) for f in findings])
