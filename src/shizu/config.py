"""``shizu.toml``: the persona's settings, validated up front with every problem reported at once.

Each section is a msgspec Struct with defaults; :func:`load_config` checks unknown keys, types and
ranges for all sections before anything runs, so a user fixes the whole file in one pass.
Secrets never live in this file: sections name the environment variable that holds them.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any, Literal

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


class IngestConfig(msgspec.Struct, kw_only=True):
    # The zone of exports whose times carry none (WhatsApp, DCE CSV before 2.42.3, old Telegram): "" reads them as UTC.
    timezone: str = ""

    def problems(self) -> list[str]:
        if self.timezone and not _is_timezone(self.timezone):
            return [f"timezone: unknown time zone {self.timezone!r}; use an IANA name such as \"Europe/Paris\", or \"\" for UTC"]
        return []


class BuildConfig(msgspec.Struct, kw_only=True):
    session_gap_minutes: float = 30.0  # silence that starts a new conversation
    burst_window_seconds: float = 180.0  # same author within this window: one turn
    max_context_turns: int = 8  # preceding turns kept before a persona turn
    max_context_tokens: int = 768  # rough token budget of one example (chars / 4)
    val_fraction: float = 0.1  # latest share of conversations held out for evaluation
    max_message_chars: int = 2000  # longer messages (pastes, logs) are dropped
    command_prefixes: tuple[str, ...] = ("!", "/", "$")  # prefix + a letter ("!play") = bot command
    duplicate_window_seconds: float = 60.0  # same author, same content again within this: dropped
    timezone: str = "UTC"  # the zone in which prompts state the time ("Europe/Paris", ...)

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
        if self.duplicate_window_seconds < 0:
            out.append("duplicate_window_seconds must be >= 0 (for example 60)")
        if not _is_timezone(self.timezone):
            out.append(f"timezone: unknown time zone {self.timezone!r}; use an IANA name such as \"Europe/Paris\" or \"UTC\"")
        return out


def _is_duration(text: str) -> bool:
    import re

    return not text.strip() or bool(re.fullmatch(r"\s*\d+(?:\.\d+)?\s*|\s*(?:\d+(?:\.\d+)?\s*h)?\s*(?:\d+(?:\.\d+)?\s*m(?:in)?)?\s*(?:\d+(?:\.\d+)?\s*s)?\s*", text.lower()))


def _is_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class TrainConfig(msgspec.Struct, kw_only=True):
    base: str = ""  # "": the embedded SmolLM2-135M-Instruct; else a Hub id, a model folder or a .gguf file
    epochs: float = 2.0  # passes over train.jsonl (ignored when steps > 0)
    steps: int = 0  # > 0: exactly this many optimizer steps
    learning_rate: float = 2e-4
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("all-linear",)  # module names, or "all-linear" for every linear layer
    batch_size: int = 8  # examples per optimizer step (micro-batches and accumulation are automatic)
    max_length: int = 0  # token cutoff per example; 0: chosen from the data
    min_whole_share: float = 0.95  # fail if the cutoff keeps fewer examples whole than this
    eval_every: int = 50  # steps between validation losses (0: only at the end)
    eval_examples: int = 200  # validation examples used (evenly spread over val.jsonl; 0: all)
    save_every: int = 50  # steps between checkpoints (also saved on Ctrl-C)
    warmup: float = 0.03  # share of steps with a linear learning-rate warm-up
    scheduler: Literal["cosine", "linear", "constant", "constant_with_warmup"] = "cosine"
    gradient_checkpointing: Literal["auto", "on", "off"] = "auto"
    qlora: bool = False  # 4-bit base weights (CUDA + bitsandbytes)
    seed: int = 0
    time_budget: str = ""  # "45m", "2h": fit the run into this wall-clock time ("": no budget); --time overrides
    budget_rule: Literal["recent", "spread"] = "recent"  # which examples a budget keeps when not all fit
    packing: Literal["auto", "on", "off"] = "auto"  # padding-free packing; auto: on CUDA (slower on CPU: bench/packing.py)
    fused_kernels: Literal["off", "liger"] = "off"  # "liger": Liger Kernel's fused kernels (CUDA, extra `gpu`); off: not measured yet

    def problems(self) -> list[str]:
        checks = [
            (self.epochs > 0, "epochs must be > 0 (for example 2)"),
            (self.steps >= 0, "steps must be >= 0 (0 trains for `epochs`)"),
            (0 < self.learning_rate < 1, "learning_rate must be in (0, 1) (for example 2e-4)"),
            (self.lora_rank >= 1, "lora_rank must be >= 1 (for example 16)"),
            (self.lora_alpha >= 1, "lora_alpha must be >= 1 (for example 32)"),
            (0 <= self.lora_dropout < 1, "lora_dropout must be in [0, 1) (for example 0.05)"),
            (bool(self.target_modules), "target_modules must name at least one module (or \"all-linear\")"),
            (self.batch_size >= 1, "batch_size must be >= 1 (for example 8)"),
            (_is_duration(self.time_budget), "time_budget must be a duration like \"45m\", \"1h30m\" or \"\" for none"),
            (self.max_length == 0 or self.max_length >= 32, "max_length must be 0 (automatic) or >= 32"),
            (0 < self.min_whole_share <= 1, "min_whole_share must be in (0, 1] (for example 0.95)"),
            (self.eval_every >= 0, "eval_every must be >= 0"),
            (self.eval_examples >= 0, "eval_examples must be >= 0 (0 uses all of val.jsonl)"),
            (self.save_every >= 1, "save_every must be >= 1 (for example 50)"),
            (0 <= self.warmup < 1, "warmup must be in [0, 1) (for example 0.03)"),
        ]
        return [message for ok, message in checks if not ok]


class GenerationConfig(msgspec.Struct, kw_only=True):
    temperature: float = 0.8  # 0: always the most likely token (greedy); higher: more varied replies
    top_p: float = 0.95  # sample only from the most likely tokens covering this share of probability
    repetition_penalty: float = 1.1  # > 1 discourages repeating the same words (1: off)
    max_new_tokens: int = 160  # longest reply, in tokens (a burst of several messages)
    backend: Literal["transformers", "llama.cpp"] = "transformers"  # what runs the model here ("llama.cpp": the extra `llamacpp`)
    merge_adapter: bool = False  # llama.cpp: one GGUF with the adapter merged in (~1.2-1.3x faster on small models, 8-bit weights)
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"  # where the local model runs ("auto": GPU when present)
    server: str = ""  # an OpenAI-compatible server's base URL ("http://127.0.0.1:8000"); "": run the model locally
    server_model: str = ""  # the model (or LoRA) name the server serves; "": the server's first model
    api_key_env: str = "SHIZU_API_KEY"  # environment variable holding the server's API key, if it needs one

    def problems(self) -> list[str]:
        checks = [
            (0 <= self.temperature <= 5, "temperature must be in [0, 5] (for example 0.8; 0 is greedy)"),
            (0 < self.top_p <= 1, "top_p must be in (0, 1] (for example 0.95)"),
            (0 < self.repetition_penalty <= 3, "repetition_penalty must be in (0, 3] (for example 1.1; 1 is off)"),
            (self.max_new_tokens >= 1, "max_new_tokens must be >= 1 (for example 160)"),
            (
                not self.server or self.server.startswith(("http://", "https://")),
                f"server must be an http:// or https:// URL (got {self.server!r}), or \"\" to run locally",
            ),
        ]
        return [message for ok, message in checks if not ok]


class ServeConfig(msgspec.Struct, kw_only=True):
    host: str = "127.0.0.1"  # where `shizu serve` listens; "0.0.0.0": every network interface (needs an API key)
    port: int = 8642
    api_key_env: str = "SHIZU_SERVE_KEY"  # environment variable holding the key clients must send; unset: none needed
    max_messages: int = 100  # messages in one chat request
    max_chars: int = 32000  # characters of one chat request's messages together
    max_tokens: int = 512  # the largest max_tokens a request may ask for
    max_queue: int = 64  # requests waiting for one model; more are refused (503) until the queue drains
    speaker: str = "Friend"  # the speaker of a message that names nobody (no `name`, no "Name: " prefix)
    allowed_hosts: list[str] = []  # names the server answers to when not on loopback (besides the bind address)

    def problems(self) -> list[str]:
        checks = [
            (bool(self.host.strip()), "host must not be empty (for example \"127.0.0.1\")"),
            (1 <= self.port <= 65535, "port must be in [1, 65535] (for example 8642)"),
            (self.api_key_env.isidentifier(), f"api_key_env must be an environment variable name (got {self.api_key_env!r})"),
            (self.max_messages >= 1, "max_messages must be >= 1 (for example 100)"),
            (self.max_chars >= 1, "max_chars must be >= 1 (for example 32000)"),
            (self.max_tokens >= 1, "max_tokens must be >= 1 (for example 512)"),
            (self.max_queue >= 1, "max_queue must be >= 1 (for example 64)"),
            (bool(self.speaker.strip()) and ":" not in self.speaker, "speaker must be a name without ':' (for example \"Friend\")"),
        ]
        return [message for ok, message in checks if not ok]


class DiscordConfig(msgspec.Struct, kw_only=True):
    token_env: str = "SHIZU_DISCORD_TOKEN"  # environment variable holding the bot token
    aliases: list[str] = []  # other names that call the bot in servers (the persona's name always does)
    chime_in_channels: list[str] = []  # channel ids where it may join in without being called
    chime_in_probability: float = 0.05  # chance per message, in those channels
    deny_channels: list[str] = []  # channel ids it ignores
    deny_users: list[str] = []  # user ids it ignores (their messages stay out of its context too)
    owners: list[str] = []  # user ids allowed the owner commands (the application's owner always is)
    command_prefix: str = "!shizu"  # owner commands: "!shizu pause" / resume / status / forget / help
    history_messages: int = 20  # channel messages read before the one answered...
    history_minutes: float = 60.0  # ...and none older than this
    reply_chain: int = 5  # earlier messages followed up a reply chain
    channel_cooldown_seconds: float = 15.0  # in servers: one answer per channel in this time
    user_cooldown_seconds: float = 5.0  # in servers: one answer per person in this time
    queue_size: int = 16  # requests waiting for the model; when full the oldest server request is dropped
    pause_seconds_per_char: float = 0.03  # pause before each further message of a burst, per character...
    max_pause_seconds: float = 3.0  # ...at most this
    mentions: list[Literal["users", "roles", "everyone", "replied_user"]] = []  # pings it may send
    sharded: bool = False  # discord.py's auto-sharded client, for bots in very many servers
    shard_count: int = 0  # with sharded: the number of shards (0: Discord's recommendation)

    def problems(self) -> list[str]:
        ids = [
            (key, value)
            for key, values in (
                ("chime_in_channels", self.chime_in_channels), ("deny_channels", self.deny_channels),
                ("deny_users", self.deny_users), ("owners", self.owners),
            )
            for value in values
            if not value.isdigit()
        ]
        checks = [
            (self.token_env.isidentifier(), f"token_env must be an environment variable name (got {self.token_env!r})"),
            (0 <= self.chime_in_probability <= 1, "chime_in_probability must be in [0, 1] (for example 0.05)"),
            (bool(self.command_prefix.strip()), "command_prefix must not be empty (for example \"!shizu\")"),
            (0 <= self.history_messages <= 100, "history_messages must be in [0, 100] (for example 20)"),
            (self.history_minutes > 0, "history_minutes must be > 0 (for example 60)"),
            (0 <= self.reply_chain <= 20, "reply_chain must be in [0, 20] (for example 5)"),
            (self.channel_cooldown_seconds >= 0, "channel_cooldown_seconds must be >= 0 (for example 15)"),
            (self.user_cooldown_seconds >= 0, "user_cooldown_seconds must be >= 0 (for example 5)"),
            (self.queue_size >= 1, "queue_size must be >= 1 (for example 16)"),
            (self.pause_seconds_per_char >= 0, "pause_seconds_per_char must be >= 0 (for example 0.03)"),
            (self.max_pause_seconds >= 0, "max_pause_seconds must be >= 0 (for example 3)"),
            (self.shard_count >= 0, "shard_count must be >= 0 (0: Discord's recommendation)"),
        ]
        out = [f"{key}: {value!r} is not a Discord id (turn on Developer Mode, right-click, Copy ID)" for key, value in ids]
        return out + [message for ok, message in checks if not ok]


class MemoryConfig(msgspec.Struct, kw_only=True):
    enabled: bool = False  # recall the persona's own past exchanges in prompts (docs/memory.md); off until measured
    scope: Literal["channel", "server", "everywhere"] = "server"  # where a memory may come back (see the template)
    k: int = 3  # memories recalled per prompt, at most
    max_tokens: int = 200  # their rendered size, at most (characters / 4)
    semantic: bool = True  # also search by meaning (all-MiniLM-L6-v2, the `memory` extra), not only by words
    remember_own_replies: bool = False  # also remember what the bot wrote (else only the person's own messages)

    def problems(self) -> list[str]:
        checks = [
            (1 <= self.k <= 50, "k must be in [1, 50] (for example 3)"),
            (self.max_tokens >= 16, "max_tokens must be >= 16 (for example 200)"),
        ]
        return [message for ok, message in checks if not ok]


class Config(msgspec.Struct, kw_only=True):
    persona: PersonaConfig = msgspec.field(default_factory=PersonaConfig)
    privacy: PrivacyConfig = msgspec.field(default_factory=PrivacyConfig)
    ingest: IngestConfig = msgspec.field(default_factory=IngestConfig)
    build: BuildConfig = msgspec.field(default_factory=BuildConfig)
    train: TrainConfig = msgspec.field(default_factory=TrainConfig)
    generation: GenerationConfig = msgspec.field(default_factory=GenerationConfig)
    serve: ServeConfig = msgspec.field(default_factory=ServeConfig)
    discord: DiscordConfig = msgspec.field(default_factory=DiscordConfig)
    memory: MemoryConfig = msgspec.field(default_factory=MemoryConfig)


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
# Replace emails, phone numbers, IPs, card numbers, IBANs, SSNs, UK NI numbers, labelled passport
# numbers, tokens and API keys by typed placeholders such as <EMAIL> before anything is trained,
# in messages and in names, channel names, media labels and URLs alike (docs/privacy.md).
redact_pii = true
# User ids whose messages are removed entirely (they never appear, not even as context).
opt_out = []
# Replace other people's names by consistent pseudonyms.
pseudonymize = false

[ingest]
# The time zone of exports whose times say none (WhatsApp chats, DiscordChatExporter CSV before
# 2.42.3, Telegram exports before about 2022): an IANA name such as "Europe/Paris". Empty: read
# them as UTC (each such file is named in a warning). `shizu ingest --timezone` overrides it.
timezone = ""

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
# The same person sending the same content again within this many seconds: dropped as a duplicate.
duplicate_window_seconds = 60
# The time zone in which prompts say when a conversation happens (an IANA name, e.g. "Europe/Paris").
timezone = "UTC"

[train]
# The model to fine-tune. Empty: SmolLM2-135M-Instruct, embedded in Shizu (runs on a laptop CPU).
# Else a Hugging Face id ("Qwen/Qwen2.5-3B-Instruct"), a model folder, or a .gguf file.
base = ""
# How long: passes over dataset/train.jsonl, or a fixed number of optimizer steps (> 0 wins).
epochs = 2
steps = 0
# LoRA: rank, scaling and dropout of the adapter, on every linear layer by default.
learning_rate = 2e-4
lora_rank = 16
lora_alpha = 32
lora_dropout = 0.05
target_modules = ["all-linear"]
# Examples per optimizer step; micro-batches and accumulation are chosen to fit memory.
batch_size = 8
# Token cutoff per example (0: picked from the data). Longer examples are cut back to their last
# whole reply; training stops with an error if fewer than min_whole_share stay whole.
max_length = 0
min_whole_share = 0.95
# Validation loss every eval_every steps on eval_examples examples of val.jsonl (0: all);
# a checkpoint every save_every steps and on Ctrl-C (`shizu train --resume` continues).
eval_every = 50
eval_examples = 200
save_every = 50
# Learning-rate schedule: warm-up share, then "cosine", "linear", "constant" or "constant_with_warmup".
warmup = 0.03
scheduler = "cosine"
# "auto" turns gradient checkpointing on only when activations would not fit in memory.
gradient_checkpointing = "auto"
# CUDA only: 4-bit base weights (QLoRA, needs bitsandbytes) for big models on small GPUs.
qlora = false
seed = 0
# Fit every run into this wall-clock time ("45m", "2h"; "" for none); `shizu train --time` overrides.
time_budget = ""
# When a budget cannot take every example: "recent" (the latest conversations first) or "spread".
budget_rule = "recent"
# Padding-free packing of each micro-batch into one row: "auto" (on CUDA; a CPU is faster without), "on", "off".
packing = "auto"
# Fused GPU kernels: "liger" swaps in Liger Kernel's RoPE, RMSNorm and SwiGLU kernels (CUDA only;
# `pip install 'shizu[gpu]'`). "off" by default: their effect on this recipe has not been measured.
fused_kernels = "off"

[generation]
# How the persona writes its replies (shizu chat, the Discord bot, the HTTP API).
# temperature 0 always picks the most likely word; higher values give more varied replies.
temperature = 0.8
top_p = 0.95
# Above 1 discourages repeating the same words.
repetition_penalty = 1.1
# The longest reply, in tokens (one reply can be a burst of several messages).
max_new_tokens = 160
# What runs the model on this machine: "transformers" (always available; CPU or GPU) or
# "llama.cpp" (6.7x faster on the demo run on a 2-core CPU; needs `pip install 'shizu[llamacpp]'`, see docs/export.md).
backend = "transformers"
# llama.cpp only: run one model file with the adapter merged in (8-bit weights) rather than the
# base + the adapter: faster on small models, replies may differ slightly from transformers'.
merge_adapter = false
# Where the transformers backend runs: "auto" (a GPU when there is one), "cpu", "cuda" or "mps".
device = "auto"
# Serve the model elsewhere: the base URL of an OpenAI-compatible server (vLLM with the LoRA,
# llama.cpp server, Ollama). Shizu still writes the prompt itself. Empty: run the model here.
# Prompts then leave this machine if the server is not on it.
server = ""
# The model name that server serves (empty: its first model), and the environment variable
# holding its API key, if it needs one.
server_model = ""
api_key_env = "SHIZU_API_KEY"

[serve]
# `shizu serve`: the OpenAI-compatible API and the web page (chat, collection, blind test).
# 127.0.0.1 keeps it on this machine; "0.0.0.0" shares it on your network (then set an API key).
host = "127.0.0.1"
port = 8642
# The environment variable holding the key every client must send (Authorization: Bearer KEY;
# the web page asks for it once). Unset or empty: no key is needed.
api_key_env = "SHIZU_SERVE_KEY"
# Limits of one chat request: messages, characters of all messages, and the largest max_tokens.
max_messages = 100
max_chars = 32000
max_tokens = 512
# One reply is written at a time per model; this many more requests may wait, the rest get 503.
max_queue = 64
# Who speaks when a message names nobody (no "name" field and no "Name: " prefix).
speaker = "Friend"
# Off this machine, the names the server answers to besides the address it listens on (the Host
# header; other names get 421), e.g. ["mika.example.org"]. On 127.0.0.1 only localhost names work.
allowed_hosts = []

[discord]
# `shizu discord`: the persona as a Discord bot (docs/discord.md). The bot token is read from
# this environment variable, never from this file.
token_env = "SHIZU_DISCORD_TOKEN"
# It always answers direct messages; in servers when mentioned, when someone replies to it, or
# when its name (or one of these aliases) is said.
aliases = []
# Channel ids where it may also join in unprompted, and the chance per message there.
chime_in_channels = []
chime_in_probability = 0.05
# Channel and user ids it ignores. Other bots and webhooks are always ignored.
deny_channels = []
deny_users = []
# User ids allowed the owner commands (the application's owner always is), and their prefix:
# "!shizu pause", "!shizu resume", "!shizu status", "!shizu forget" (clear this channel's context).
owners = []
command_prefix = "!shizu"
# Context: at most this many earlier channel messages, none older than history_minutes, plus up
# to reply_chain messages followed up the chain of replies.
history_messages = 20
history_minutes = 60
reply_chain = 5
# In servers: at most one answer per channel, and per person, in these times.
channel_cooldown_seconds = 15
user_cooldown_seconds = 5
# One reply is written at a time; this many requests may wait (when full, the oldest server
# request is dropped; direct messages go first).
queue_size = 16
# Pause before each further message of a burst: per character of the message, capped.
pause_seconds_per_char = 0.03
max_pause_seconds = 3
# Pings the bot may send: any of "users", "roles", "everyone", "replied_user". Empty: none at all.
mentions = []
# For bots in very many servers: discord.py's auto-sharded client (shard_count 0: Discord decides).
sharded = false
shard_count = 0

[memory]
# The persona recalls its own past exchanges (your messages and what they answered, PII redacted
# and opted-out people removed as in the dataset) and shows a few to the model before it replies.
# They live in shizu.db: `shizu memory list` and `shizu memory forget` (docs/memory.md). Off by
# default: on the sample it makes your real replies likelier, but SmolLM2-135M does not yet answer
# with the facts it is shown, and prompts get longer (bench/RESULTS.md; `shizu eval` compares both).
enabled = false
# Where a memory may come back, by where it was made:
#   "channel":    only in the same channel, thread, group DM or DM.
#   "server":     a server channel's memories anywhere in that server; a DM's or a group DM's only
#                 in that same DM or group (nothing said in private ever reaches anyone else).
#   "everywhere": anything anywhere: a DM secret can come up in a server or in another DM.
scope = "server"
# At most k memories per reply, and at most max_tokens of them (about 4 characters per token):
# that much of [build] max_context_tokens is kept for them, in training and live. max_tokens = 100
# keeps a reply within 1.2x the time it takes without memory, recalling less (docs/memory.md).
k = 3
max_tokens = 200
# Also search by meaning with all-MiniLM-L6-v2 (`pip install 'shizu[memory]'`), not only by words.
semantic = true
# Also remember what the bot wrote (off: only your own messages become memories).
remember_own_replies = false
"""


def render_template(name: str = "", me: list[str] | None = None) -> str:
    """The commented ``shizu.toml`` that ``shizu init`` writes."""
    return CONFIG_TEMPLATE.format(name=_toml_str(name), me="[" + ", ".join(_toml_str(m) for m in me or []) + "]")


def _toml_str(value: str) -> str:
    return msgspec.json.encode(value).decode()
