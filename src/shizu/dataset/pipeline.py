"""``shizu build``: from the message store to ``dataset/`` (see ``docs/dataset-format.md``).

The "me" check comes first (:mod:`shizu.dataset.me`); then :class:`~shizu.dataset.examples.ExampleBuilder`
streams the store into examples (and, with ``[memory] enabled``, every persona turn into the
persona's memory, after which each example gets the memories it would recall:
:mod:`shizu.dataset.memories`) and splits them by time; then the media catalogue, the exports,
the report and ``meta.json`` are written. Zero examples is a :class:`DatasetError` naming the stage
that removed everything and what to change.

Everything is written into ``.dataset.partial/`` and swapped into place at the end, so a failed
build leaves the previous dataset untouched.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec

import shizu
from shizu.config import Config
from shizu.dataset import filters
from shizu.dataset.examples import CHARS_PER_TOKEN, ExampleBuilder
from shizu.dataset.me import Identity, resolve_persona
from shizu.dataset.memories import BuildMemory
from shizu.dataset.tally import Tally
from shizu.errors import DatasetError
from shizu.memory import hidden_names
from shizu.message import Message
from shizu.progress import QUIET, Reporter
from shizu.store import authors
from shizu.workspace import Workspace, profile_sha256

EXPORT_FORMATS = ("openai", "sharegpt")


@dataclass
class BuildResult:
    dataset_dir: Path
    report: dict[str, Any]  # the content of report.json
    dropped_path: Path | None
    memory: dict[str, int] | None = None  # what the persona's memory stored and recalled (None: [memory] enabled = false)


def build_dataset(
    ws: Workspace,
    *,
    write_dropped: Path | None = None,
    exports: Iterable[str] = (),
    progress: Callable[[int], None] = lambda n: None,
    reporter: Reporter = QUIET,
) -> BuildResult:
    """Build ``ws``'s dataset from its store; :class:`DatasetError` when nothing usable comes out.

    ``progress`` is called with the number of messages read since the previous call, and with 0
    once every message has been turned into examples. ``reporter`` shows the memory's steps
    (embedding the new memories, recalling for each example).
    """
    exports = tuple(dict.fromkeys(exports))
    unknown = [e for e in exports if e not in EXPORT_FORMATS]
    if unknown:
        raise DatasetError(f"Unknown export format {unknown[0]!r}.", hint=f"Use one of: {', '.join(EXPORT_FORMATS)}.")
    config = ws.config
    final = ws.dataset_dir
    partial = ws.root / ".dataset.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        with ws.open_store() as store, ExitStack() as stack:
            persona = resolve_persona(ws, store)
            dropped_out = None
            if write_dropped is not None:
                dropped_out = stack.enter_context(_open_for_writing(write_dropped))
            tally = Tally(dropped_out)
            known = authors.known_names(store)
            memory = BuildMemory(store, config, hidden_names(known, config.privacy.opt_out, persona.name), reporter) if config.memory.enabled else None
            profile = ws.profile()
            builder = ExampleBuilder(config, persona, known, tally, partial, profile=profile, memory=memory)
            total = store.count()
            builder.run(_counted(store.iter_messages(), progress))
            progress(0)  # streaming is over (examples written; memories, split, exports and report follow)
            if memory is not None:
                builder.recall(reporter)
            memory_stats = memory.stats if memory is not None else None
            store_meta = {"path": str(ws.db_path), "fingerprint": authors.fingerprint(store), "messages": total}
        if tally.stages["examples"] == 0:
            raise DatasetError(*_zero_examples(tally, persona, config, write_dropped))
        files = builder.finish()
        from shizu.dataset.exports import write_exports
        from shizu.dataset.report import write_report

        for fmt in exports:
            write_exports(partial, fmt)
        _write_json(partial / "media.json", builder.catalogue.to_json())
        persona = builder.persona  # its name redacted like every name from the export
        report = write_report(partial, tally, persona, config, builder.catalogue)
        _write_json(partial / "meta.json", {
            "shizu_version": shizu.__version__,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "persona": {"name": persona.name, "me": list(persona.ids)},
            "config": msgspec.to_builtins(config),
            "store": store_meta,
            "profile_sha256": profile_sha256(profile),
            "memory": memory_stats,
            "counts": report["counts"],
            "token_estimate": f"characters / {CHARS_PER_TOKEN}",
            "exports": list(exports),
            "files": files,
        })
        _swap(partial, final)
    finally:
        if partial.exists():
            shutil.rmtree(partial)
    return BuildResult(dataset_dir=final, report=report, dropped_path=write_dropped, memory=memory_stats)


def _counted(messages: Iterator[Message], progress: Callable[[int], None], every: int = 10_000) -> Iterator[Message]:
    n = 0
    for msg in messages:
        yield msg
        n += 1
        if n == every:
            progress(n)
            n = 0
    progress(n)


def _zero_examples(tally: Tally, persona: Identity, config: Config, dropped: Path | None) -> tuple[str, str]:
    """(message, hint) naming the stage that removed everything and what to change."""
    see = (
        f" Every dropped item is listed in {dropped}." if dropped
        else " Rerun with --write-dropped FILE to see every dropped item."
    )
    msg_drops = tally.dropped["message"]
    if tally.stages["messages_kept"] == 0:
        top = ", ".join(f"{r} {n}" for r, n in msg_drops.most_common(3))
        return (
            f"No examples: all {tally.stages['messages']} messages were filtered out ({top}).",
            "Check [build] command_prefixes and max_message_chars and [privacy] opt_out in shizu.toml." + see,
        )
    if tally.stages["persona_messages"] == 0:
        mine = tally.persona_dropped
        top = ", ".join(f"{r} {n}" for r, n in mine.most_common(3))
        return (
            f"No examples: all {sum(mine.values())} of your messages (ids {', '.join(persona.ids)})"
            f" were filtered out ({top}).",
            "Check [build] command_prefixes and max_message_chars in shizu.toml, and that [persona] me"
            " holds your own ids (`shizu stats` lists the top authors)." + see,
        )
    conv_drops = tally.dropped["conversation"]
    over = tally.dropped["example"][filters.OVER_BUDGET]
    if over == 0:
        return (
            f"No examples: in all {tally.stages['conversations']} conversations either you speak alone"
            f" ({filters.NO_CONTEXT}: {conv_drops[filters.NO_CONTEXT]}) or not at all"
            f" ({filters.NO_PERSONA_TURN}: {conv_drops[filters.NO_PERSONA_TURN]}).",
            "Your messages need the other side of the conversation: ingest DiscordChatExporter exports of the"
            " channels and DMs you write in (a data package holds only your own messages), or raise"
            " [build] session_gap_minutes." + see,
        )
    memories = f" and the room of [memory] max_tokens = {config.memory.max_tokens} for memories" if config.memory.enabled else ""
    return (
        f"No examples: each of your {over} turns is longer than [build] max_context_tokens"
        f" = {config.build.max_context_tokens} (about {CHARS_PER_TOKEN} characters per token, system prompt{memories} included).",
        "Raise [build] max_context_tokens" + (", lower [memory] max_tokens" if memories else "")
        + ", or lower [build] burst_window_seconds to cut long bursts." + see,
    )


def _open_for_writing(path: Path) -> IO[bytes]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "wb")
    except OSError as exc:
        raise DatasetError(
            f"Cannot write {path}: {exc.strerror}.", hint="Pass --write-dropped a writable file path."
        ) from None


def _write_json(path: Path, data: Any) -> None:
    path.write_bytes(msgspec.json.format(msgspec.json.encode(data)) + b"\n")


def _swap(partial: Path, final: Path) -> None:
    """Replace ``final`` by ``partial`` (the old dataset is removed only once the new one is in place)."""
    old = final.with_name(".dataset.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    partial.rename(final)
    if old.exists():
        shutil.rmtree(old)
