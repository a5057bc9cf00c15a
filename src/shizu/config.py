"""``shizu.toml``: the persona's settings, validated up front with every problem reported at once.

Each section is a msgspec Struct with defaults; :func:`load_config` checks unknown keys, types and
ranges for all sections before anything runs, so a user fixes the whole file in one pass.
Secrets never live in this file: sections name the environment variable that holds them.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from shizu.errors import ConfigError

SECRET_WORDS = ("token", "secret", "password", "api_key", "apikey")


class PersonaConfig(msgspec.Struct, kw_only=True):
    name: str = ""  # how the persona is called in prompts; empty: "me"'s latest display name
    me: list[str] = []  # the person's own user ids (Discord snowflakes)

    def problems(self) -> list[str]:
        return [
            f"me: {uid!r} is not a user id; use the numeric id shown by `shizu stats`"
            for uid in self.me
            if not str(uid).strip() or any(c.isspace() for c in uid)
        ]


class PrivacyConfig(msgspec.Struct, kw_only=True):
    redact_pii: bool = True  # replace emails, phone numbers, keys... by typed placeholders
    opt_out: list[str] = []  # user ids whose messages are removed entirely, even as context
    pseudonymize: bool = False  # replace other people's names by consistent pseudonyms


class BuildConfig(msgspec.Struct, kw_only=True):
    session_gap_minutes: float = 30.0  # silence that starts a new conversation
    burst_window_seconds: float = 180.0  # same author within this window: one turn
    max_context_turns: int = 8  # preceding turns kept before a persona turn
    max_context_tokens: int = 768  # rough token budget of one example (chars / 4)
    val_fraction: float = 0.1  # latest share of conversations held out for evaluation
    max_message_chars: int = 2000  # longer messages (pastes, logs) are dropped
    command_prefixes: tuple[str, ...] = ("!", "/", "$")  # prefix + a letter ("!play") = bot command

    def problems(self) -> list[str]:
        out = []
        if self.session_gap_minutes <= 0:
            out.append("session_gap_minutes must be > 0 (for example 30)")
        if self.burst_window_seconds < 0:
            out.append("burst_window_seconds must be >= 0 (for example 180)")
        if self.max_context_turns < 1:
            out.append("max_context_turns must be >= 1 (for example 8)")
        if self.max_context_tokens < 32:
            out.append("max_context_tokens must be >= 32 (for example 768)")
        if not 0.0 <= self.val_fraction < 1.0:
            out.append("val_fraction must be in [0, 1) (for example 0.1)")
        if self.max_message_chars < 1:
            out.append("max_message_chars must be >= 1")
        return out


class Config(msgspec.Struct, kw_only=True):
    persona: PersonaConfig = msgspec.field(default_factory=PersonaConfig)
    privacy: PrivacyConfig = msgspec.field(default_factory=PrivacyConfig)
    build: BuildConfig = msgspec.field(default_factory=BuildConfig)


def load_config(path: Path) -> Config:
    """Read and validate ``path``; raise :class:`ConfigError` listing every problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist", hint="Run `shizu init` to create it.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="Fix the line it names.") from None
    problems: list[str] = []
    config = _convert(Config, raw, "", problems)
    if problems:
        raise ConfigError(f"{path} has {len(problems)} problem(s):", problems)
    return config


def parse_config(data: dict[str, Any]) -> Config:
    """Validate an already-parsed mapping (used by tests and by ``init``)."""
    problems: list[str] = []
    config = _convert(Config, data, "", problems)
    if problems:
        raise ConfigError(f"invalid configuration ({len(problems)} problem(s)):", problems)
    return config


def _convert(cls: type[msgspec.Struct], raw: Any, where: str, problems: list[str]) -> Any:
    label = f"[{where}]" if where else "the top level"
    if not isinstance(raw, dict):
        problems.append(f"{label} must be a table, got {type(raw).__name__}")
        return cls()
    fields = {f.name: f for f in msgspec.structs.fields(cls)}
    for key in raw:
        if key not in fields:
            problems.append(_unknown_key(key, label, list(fields)))
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in raw:
            continue
        key = f"{where}.{name}" if where else name
        if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
            values[name] = _convert(field.type, raw[name], key, problems)
            continue
        try:
            values[name] = msgspec.convert(raw[name], field.type, strict=False)
        except msgspec.ValidationError as exc:
            problems.append(f"{key}: {exc} (got {raw[name]!r})")
    try:
        obj = cls(**values)
    except (TypeError, msgspec.ValidationError) as exc:  # pragma: no cover - defaults are always valid
        problems.append(f"{label}: {exc}")
        return cls()
    check = getattr(obj, "problems", None)
    if check is not None:
        problems.extend(f"{where}.{p}" if where else p for p in check())
    return obj


def _unknown_key(key: str, label: str, valid: list[str]) -> str:
    if any(word in key.lower() for word in SECRET_WORDS):
        return (
            f"{label} has {key!r}: secrets never go in shizu.toml; "
            "put it in the environment variable the section names"
        )
    close = difflib.get_close_matches(key, valid, n=1)
    suggestion = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key {key!r} in {label}; {suggestion}valid keys: {', '.join(valid)}"


CONFIG_TEMPLATE = """\
# Shizu workspace settings. Every command reads this file and checks it before doing anything.
# Secrets (bot tokens, API keys) never go here: sections name the environment variable instead.

[persona]
# How the persona is called in prompts. Empty: your latest display name in the exports.
name = {name}
# Your own user id(s): the messages the model learns to write. `shizu stats` lists the top
# authors with their ids; ingesting your Discord data package fills this in automatically.
me = {me}

[privacy]
# Replace emails, phone numbers, IPs, card numbers, IBANs, tokens and API keys by typed
# placeholders such as <EMAIL> before anything is trained.
redact_pii = true
# User ids whose messages are removed entirely (they never appear, not even as context).
opt_out = []
# Replace other people's names by consistent pseudonyms.
pseudonymize = false

[build]
# A silence longer than this starts a new conversation.
session_gap_minutes = 30
# Consecutive messages of one author within this window form one turn (a burst).
burst_window_seconds = 180
# Context kept before each of your turns, in turns and in (approximate) tokens.
max_context_turns = 8
max_context_tokens = 768
# The latest share of conversations, held out for evaluation.
val_fraction = 0.1
# Messages longer than this (pastes, logs) are dropped.
max_message_chars = 2000
# Messages starting with one of these followed by a letter ("!play", "/roll") are bot commands
# and are dropped.
command_prefixes = ["!", "/", "$"]
"""


def render_template(name: str = "", me: list[str] | None = None) -> str:
    """The commented ``shizu.toml`` that ``shizu init`` writes."""
    return CONFIG_TEMPLATE.format(name=_toml_str(name), me="[" + ", ".join(_toml_str(m) for m in me or []) + "]")


def _toml_str(value: str) -> str:
    return msgspec.json.encode(value).decode()
