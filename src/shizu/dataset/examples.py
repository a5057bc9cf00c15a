"""Turn one channel's messages into training examples, streaming them to a temporary JSONL file.

:class:`ExampleBuilder` does stages 1-3 of ``shizu build`` for each channel in turn (memory is
bounded by the largest channel): messages are filtered with reason codes
(:mod:`shizu.dataset.filters`) and turned into lines (media as tags, catalogued when the persona sent
them; mentions and speakers renamed by :mod:`shizu.dataset.names`; PII redacted), grouped into
conversations (:mod:`shizu.dataset.conversations`), cut into non-overlapping windows
(:mod:`shizu.dataset.windows`) and rendered by the shared renderer (:mod:`shizu.chat.layout`).
With the persona's memory on, every persona turn is also handed to the memory
(:mod:`shizu.dataset.memories`), and once all are stored :meth:`ExampleBuilder.recall` gives each
example the memories the bot would have recalled at its moment. :meth:`ExampleBuilder.finish` then
splits the examples by time into ``train.jsonl`` / ``val.jsonl``.

Privacy is applied here, once, where each string from the export enters (``docs/privacy.md``):
message text, the persona's and speakers' names, channel, group and server names (all four
through :class:`~shizu.dataset.sanitize.Sanitizer`), media labels
(:meth:`~ExampleBuilder._private_ref`) and, through the catalogue's screens, the URLs and local
paths it keeps. Everything downstream (the rendered examples, the system prompt, the memories, the
report's per-channel and per-partner counts and samples, ``media.json``, ``meta.json``) is made
from these strings only.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from itertools import groupby, islice
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import msgspec

from shizu.chat.layout import CHARS_PER_TOKEN, Place, Situation, Turn, memory_room, render, render_ids, system_prompt
from shizu.chat.media import MediaRef, has_link, make_tag, message_refs, split_text
from shizu.config import Config
from shizu.dataset import filters
from shizu.dataset.catalogue import Catalogue
from shizu.dataset.conversations import Conversation, Line, Located, line_chars, locate, reply_context, segment
from shizu.dataset.filters import MessageFilter
from shizu.dataset.jsonl import encode_line
from shizu.dataset.me import Identity
from shizu.dataset.memories import Ask, BuildMemory, exchanges
from shizu.dataset.sanitize import Sanitizer
from shizu.dataset.tally import Tally
from shizu.dataset.windows import plan_windows
from shizu.memory import Where, query_text
from shizu.message import Channel, Message
from shizu.progress import Reporter

_TRAIN = b'"split":"train"'
_VAL = b'"split":"val"'
RECALL_BATCH = 256  # examples whose queries are embedded at once


class Example(msgspec.Struct):
    """One line of ``train.jsonl`` / ``val.jsonl`` (field order is the key order on disk)."""

    id: str
    conversation: str
    split: str
    channel_id: str
    timestamp: str
    persona: str
    place: dict[str, str]  # kind, channel, server, parent, platform (the situation's Place)
    participants: list[str]  # the other speakers, in order of appearance (as the system prompt lists them)
    messages: list[dict[str, str]]
    message_ids: list[list[str]]
    memories: list[str] | msgspec.UnsetType = msgspec.UNSET  # keys of the memories in the system prompt (none: absent)


class ExampleBuilder:
    """The streaming part: messages -> lines -> conversations -> examples in a temporary file.

    ``profile``: what ``persona.md`` adds to every system prompt; ``memory``: where the persona
    turns go as memories (``None``: ``[memory] enabled = false``, the examples recall nothing).
    """

    def __init__(
        self, config: Config, persona: Identity, known: dict[str, set[str]], tally: Tally, out: Path, *,
        profile: str = "", memory: BuildMemory | None = None,
    ) -> None:
        self.cfg = config.build
        self.me = frozenset(persona.ids)
        self.tally = tally
        self.out = out
        self.tz = ZoneInfo(config.build.timezone)
        self.pseudonymize = config.privacy.pseudonymize
        self.sanitizer = Sanitizer(config.privacy, persona.name, persona.ids, known, tally.redacted)
        self.redactor = self.sanitizer.redactor
        self.placeholders = self.sanitizer.placeholders
        self.names = self.sanitizer.names
        self.persona = persona = replace(persona, name=self.sanitizer.persona)
        self.profile = profile
        self.memory = memory
        self.memory_room = memory_room(persona.name, config.memory.max_tokens) if memory is not None else 0
        self.filter = MessageFilter(
            opted_out=config.privacy.opt_out, command_prefixes=config.build.command_prefixes,
            max_chars=config.build.max_message_chars, duplicate_window_s=config.build.duplicate_window_seconds,
        )
        self._url_findings: dict[tuple[str, bool], list[tuple[str, str]]] = {}
        self.catalogue = Catalogue(url_is_safe=self._url_is_safe, path_is_safe=self._path_is_safe)
        self.budget_chars = config.build.max_context_tokens * CHARS_PER_TOKEN
        self.conversations: list[tuple[float, str]] = []  # (start, id) of conversations with examples
        self.example_conv = array("I")  # conversation index of each example, in file order
        self._tmp = out / "examples.tmp"
        self._fh: IO[bytes] | None = None  # the temporary examples file, open while run() streams
        self._asks_path = out / "asks.tmp"  # with memory: each example's Ask, line by line beside it
        self._asks: IO[bytes] | None = None

    # -- stage 1 and 2: messages -> lines -> conversations ---------------------------------

    def run(self, messages: Iterator[Message]) -> None:
        with open(self._tmp, "wb") as self._fh, ExitStack() as stack:
            if self.memory is not None:
                self._asks = stack.enter_context(open(self._asks_path, "wb"))
            for _, channel_messages in groupby(messages, key=lambda m: m.channel.id):
                self._channel(channel_messages)

    def _channel(self, messages: Iterator[Message]) -> None:
        self.filter.new_channel()
        lines: list[Line] = []
        channel: Channel | None = None
        platform = ""
        read = 0
        check = self.filter.reason
        make_line = self._line
        for msg in messages:
            channel = msg.channel
            platform = msg.platform
            read += 1
            ts = msg.timestamp.timestamp()
            text = msg.content.strip()
            reason = check(msg, text, ts)
            if reason is None:
                lines.append(make_line(msg, text, ts))
                continue
            self.tally.drop("message", reason, lambda msg=msg, reason=reason: _message_details(msg, reason))
            if msg.author.id in self.me:
                self.tally.persona_dropped[reason] += 1
        self.tally.count("messages", read)
        if channel is None or not lines:
            return
        self.tally.count("messages_kept", len(lines))
        self.tally.count("persona_messages", sum(line.is_persona for line in lines))
        conversations = segment(lines, self.cfg.session_gap_minutes * 60, self.cfg.burst_window_seconds)
        self.tally.count("conversations", len(conversations))
        where = locate(conversations, {line.reply_to for line in lines if line.reply_to is not None})
        place = self.sanitizer.place(Place(
            kind=channel.kind, channel=channel.name, server=channel.guild_name or "", parent=channel.parent_name or "", platform=platform,
        ))
        here = Where(platform, channel.kind, channel.id, channel.guild_id or "")
        for conv in conversations:
            self._conversation(channel, place, here, conv, where)

    def _line(self, msg: Message, text: str, ts: float) -> Line:
        author = msg.author
        is_persona = author.id in self.me
        if not (msg.attachments or msg.stickers or msg.embeds or has_link(text)):
            text = self.sanitizer.text(text)  # the common case: plain text
        else:
            text = self._media_text(msg, text, is_persona)
        if is_persona and msg.custom_emoji:
            for name, emoji_id in msg.custom_emoji.items():
                if self.redactor is None or not self.redactor.find_in_filename(name):
                    self.catalogue.add_emoji(name, emoji_id)
        return Line(msg.id, author.id, self.sanitizer.speaker(author.id, author.label), is_persona, ts, text, msg.reply_to)

    def _media_text(self, msg: Message, text: str, is_persona: bool) -> str:
        """``text`` with its links as tags, then the tags of the message's attachments and stickers."""
        parts: list[str] = []
        linked: set[str] = set()
        found = self._message_findings(msg)
        for piece in split_text(text, msg.embeds):
            if isinstance(piece, MediaRef):
                linked.add(piece.url)
                parts.append(self.catalogue.tag(self._private_ref(piece, found), is_persona))
            else:
                parts.append(self.sanitizer.text(piece))
        tags = [self.catalogue.tag(self._private_ref(ref, found), is_persona) for ref in message_refs(msg, linked)]
        return " ".join(filter(None, ["".join(parts).strip(), *tags]))

    def _private_ref(self, ref: MediaRef, message_findings: list[tuple[str, str]]) -> MediaRef:
        """``ref`` with PII out of its label (the tag's text and the catalogue's label).

        A label is a title as written (redacted like text) or the words of a file name or URL
        (``john_smith@gmail.com.png`` -> "john smith gmail com", no longer an address): so the
        strings it was made from are searched too (its URL's host and path, and the message's file
        names, link titles and sticker names: ``message_findings``), and a run of label words
        taken from a finding becomes the finding's placeholder ("<EMAIL>").
        """
        label = self.names.scrub_opted_out(ref.label) if self.pseudonymize else ref.label
        if self.redactor is not None:
            result = self.redactor.redact(label)
            label, found = result.text, list(result.found)
            sources = message_findings + (self._findings_in_url(ref.url, path_only=True) if ref.url else [])
            for kind, value in sources:
                if _WHOLE_URL.match(value):
                    continue  # a webhook URL: its secret is an id-like token no label keeps
                label, hit = _replace_words(label, value, self.placeholders[kind])
                if hit:
                    found.append((kind, value))
            if found:
                self.tally.redacted(found, make_tag(ref.kind, label))
        return ref if label == ref.label else replace(ref, label=label)

    def _message_findings(self, msg: Message) -> list[tuple[str, str]]:
        """``(type, text)`` of the PII in a message's file names, link titles and sticker names."""
        redactor = self.redactor
        if redactor is None:
            return []
        found = [(f.type, f.text) for att in msg.attachments for f in redactor.find_in_filename(att.filename)]
        found += [(f.type, f.text) for embed in msg.embeds for f in redactor.find(embed.title)]
        found += [(f.type, f.text) for sticker in msg.stickers for f in redactor.find(sticker.name)]
        return found

    def _findings_in_url(self, url: str, path_only: bool = False) -> list[tuple[str, str]]:
        key = (url, path_only)
        found = self._url_findings.get(key)
        if found is None:
            if len(self._url_findings) >= 50_000:  # bounded: the same GIFs come back, most URLs do not
                self._url_findings.clear()
            found = self._url_findings[key] = self.redactor.url_findings(url, path_only=path_only)
        return list(found)

    def _url_is_safe(self, url: str) -> bool:
        """Whether the catalogue may keep ``url``: no PII anywhere in it, decoded pieces included
        (and with ``pseudonymize``, no opted-out person's name)."""
        if self.pseudonymize and self.names.scrub_opted_out(unquote(url)) != unquote(url):
            return False
        return self.redactor is None or not self._findings_in_url(url)

    def _path_is_safe(self, path: str) -> bool:
        """Whether the catalogue may keep a local file path (its folder and file names) as it is."""
        return self._url_is_safe(path)

    # -- stage 3: conversations -> examples ------------------------------------------------

    def _conversation(self, channel: Channel, place: Place, here: Where, conv: Conversation, where: dict[str, Located]) -> None:
        conv_id = f"{channel.id}:{conv.turns[0][0].id}"
        persona_turns = [turn[0].is_persona for turn in conv.turns]
        if not any(persona_turns):
            self._drop_conversation(filters.NO_PERSONA_TURN, conv_id, channel, conv)
            return
        if self.memory is not None:
            self.memory.add(exchanges(conv, here, place, lambda _line: "history"))
        if all(persona_turns) and not self._answers_someone(conv, where):
            self._drop_conversation(filters.NO_CONTEXT, conv_id, channel, conv)
            return
        chars = [sum(line_chars(line) for line in turn) for turn in conv.turns]
        others = tuple(dict.fromkeys(turn[0].speaker for turn in conv.turns if not turn[0].is_persona))
        widest = Situation(self.persona.name, place, datetime.fromtimestamp(conv.start, self.tz), others, self.profile)
        budget = self.budget_chars - len(system_prompt(widest)) - self.memory_room
        windows, too_long = plan_windows(
            persona_turns, chars, max_turns=self.cfg.max_context_turns, budget_chars=budget
        )
        for t in too_long:
            self.tally.drop("example", filters.OVER_BUDGET, lambda t=t: {
                "conversation": conv_id, "message_ids": [line.id for line in conv.turns[t]],
            })
        if not windows:
            return
        index = len(self.conversations)
        self.conversations.append((conv.start, conv_id))
        self.tally.count("conversations_with_examples")
        for k, (start, end) in enumerate(windows):
            used = sum(chars[start:end + 1])
            pulled = reply_context(conv, start, end, where, budget - used)
            turns = [Turn(line.speaker, line.is_persona, (line.text,), (line.id,)) for line in pulled]
            turns += [
                Turn(turn[0].speaker, turn[0].is_persona, tuple(line.text for line in turn),
                     tuple(line.id for line in turn))
                for turn in conv.turns[start:end + 1]
            ]
            self._example(channel, place, conv_id, k, turns, conv.turns[end][-1].ts, index, here, conv.start)

    def _example(
        self, channel: Channel, place: Place, conv_id: str, k: int, turns: list[Turn], ts: float, conv_index: int, here: Where, start: float,
    ) -> None:
        partners = tuple(dict.fromkeys(turn.speaker for turn in turns if not turn.is_persona))
        situation = Situation(self.persona.name, place, datetime.fromtimestamp(ts, self.tz), partners, self.profile)
        messages = render(situation, turns)
        stamp = datetime.fromtimestamp(ts, UTC)
        record = Example(
            id=f"{conv_id}:{k}", conversation=conv_id, split="train", channel_id=channel.id,
            timestamp=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), persona=situation.persona, place=situation.place.fields(),
            participants=list(partners), messages=messages, message_ids=render_ids(turns),
        )
        self._fh.write(encode_line(record))
        self.example_conv.append(conv_index)
        self.tally.count("examples")
        self.tally.count("persona_turns", sum(turn.is_persona for turn in turns))
        label, month = _channel_label(channel.id, place), stamp.strftime("%Y-%m")
        if self._asks is None:
            self._tally(messages, label, partners, month)
            return
        first = next(i for i, turn in enumerate(turns) if turn.is_persona)
        self._asks.write(_encode_ask(Ask(query_text(turns[:first]), here, start, place, ts, label, month)) + b"\n")

    def _tally(self, messages: list[dict[str, str]], channel: str, partners: Sequence[str], month: str) -> None:
        chars = sum(len(m["content"]) for m in messages)
        self.tally.example(messages, chars // CHARS_PER_TOKEN, channel, tuple(partners), month)

    # -- stage 3b: the memories each example recalls ---------------------------------------

    def recall(self, reporter: Reporter) -> None:
        """Once every persona turn is stored as a memory (and embedded): give each example those the
        bot would have recalled at its moment, in its system prompt, and their keys in ``memories``."""
        assert self.memory is not None
        self.memory.finish(reporter)
        recalled = self.out / "recalled.tmp"
        reporter.start("memory-recall", "Recalling memories for each example", len(self.example_conv))
        with open(self._tmp, "rb") as src, open(self._asks_path, "rb") as asks, open(recalled, "wb") as out:
            pairs = zip(src, asks)
            while batch := list(islice(pairs, RECALL_BATCH)):
                asked = [_decode_ask(ask) for _, ask in batch]
                found = self.memory.recall(asked, self.persona.name)
                for (line, _), ask, recollection in zip(batch, asked, found):
                    record = _decode_example(line)
                    if recollection.recalled:
                        situation = Situation(
                            record.persona, ask.place, datetime.fromtimestamp(ask.time, self.tz), tuple(record.participants), self.profile,
                            recollection.text,
                        )
                        record.messages[0] = {"role": "system", "content": system_prompt(situation)}
                        record.memories = recollection.keys
                        line = encode_line(record)
                    out.write(line)
                    self._tally(record.messages, ask.channel, record.participants, ask.month)
                reporter.advance("memory-recall", len(batch))
        reporter.stop("memory-recall")
        recalled.replace(self._tmp)
        self._asks_path.unlink()

    def _answers_someone(self, conv: Conversation, where: dict[str, Located]) -> bool:
        for turn in conv.turns:
            for line in turn:
                target = where.get(line.reply_to) if line.reply_to else None
                if target is not None and not target.line.is_persona:
                    return True
        return False

    def _drop_conversation(self, reason: str, conv_id: str, channel: Channel, conv: Conversation) -> None:
        self.tally.drop("conversation", reason, lambda: {
            "conversation": conv_id, "channel_id": channel.id,
            "start": datetime.fromtimestamp(conv.start, UTC).isoformat(),
            "messages": sum(len(turn) for turn in conv.turns),
        })

    # -- stage 4: split by time ------------------------------------------------------------

    def finish(self) -> dict[str, str]:
        """Route the examples into train/val by conversation time; sha256 of each file written."""
        n = len(self.conversations)
        n_val = 0
        if self.cfg.val_fraction > 0 and n >= 2:
            n_val = min(n - 1, max(1, round(n * self.cfg.val_fraction)))
        order = sorted(range(n), key=lambda i: self.conversations[i])
        val = frozenset(order[n - n_val:])
        self.tally.count("val_conversations", n_val)
        self.tally.count("train_conversations", n - n_val)
        digests = {"train.jsonl": hashlib.sha256(), "val.jsonl": hashlib.sha256()}
        with open(self._tmp, "rb") as src, open(self.out / "train.jsonl", "wb") as train, \
                open(self.out / "val.jsonl", "wb") as valf:
            for line, conv in zip(src, self.example_conv):
                if conv in val:
                    # The first `"split":"train"` is the field itself: the id strings before it are
                    # JSON-escaped, so they cannot contain that unescaped byte sequence.
                    line = line.replace(_TRAIN, _VAL, 1)
                    valf.write(line)
                    digests["val.jsonl"].update(line)
                    self.tally.count("val_examples")
                else:
                    train.write(line)
                    digests["train.jsonl"].update(line)
                    self.tally.count("train_examples")
        self._tmp.unlink()
        return {name: d.hexdigest() for name, d in digests.items()}


_LABEL_WORD = re.compile(r"[^\W_]+")  # how shizu.chat.media cuts file names and URLs into label words
_WHOLE_URL = re.compile(r"(?:https?://|www\.)", re.I)


def _replace_words(label: str, value: str, placeholder: str) -> tuple[str, bool]:
    """``label`` with each run of its words that are ``value``'s words, in order (two at least, or
    all of a one-word value), replaced by ``placeholder``; and whether any was."""
    words = [w.casefold() for w in _LABEL_WORD.findall(value)]
    tokens = list(_LABEL_WORD.finditer(label))
    if not words or not tokens:
        return label, False
    need = min(2, len(words))
    out: list[str] = []
    position = i = 0
    while i < len(tokens):
        j, k = i, 0
        while j < len(tokens):
            try:
                k = words.index(tokens[j].group().casefold(), k) + 1
            except ValueError:
                break
            j += 1
        if j - i >= need:
            out += [label[position : tokens[i].start()], placeholder]
            position, i = tokens[j - 1].end(), j
        else:
            i += 1
    if not out:
        return label, False
    out.append(label[position:])
    return "".join(out), True


_encode_ask = msgspec.json.Encoder().encode
_decode_ask = msgspec.json.Decoder(Ask).decode
_decode_example = msgspec.json.Decoder(Example).decode


def _message_details(msg: Message, reason: str) -> dict[str, Any]:
    details: dict[str, Any] = {"id": msg.id, "channel_id": msg.channel.id, "timestamp": msg.timestamp.isoformat()}
    if reason != filters.OPTED_OUT:  # an opted-out person's words are never written anywhere
        details.update(author_id=msg.author.id, author=msg.author.label, content=msg.content)
    return details


def _channel_label(channel_id: str, place: Place) -> str:
    """How the report names a channel (DM and group names are left out when pseudonymizing)."""
    name = place.channel or channel_id
    if place.kind == "dm":
        return f"DM {name}"
    if place.kind == "group":
        return f"group {name}"
    return f"#{name}" + (f" ({place.server})" if place.server else "")
