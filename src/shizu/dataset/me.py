"""Who the persona is: the person's own user ids ("me") and the name used in prompts.

A wrong or missing "me" is the classic way to get zero examples three steps later, so it is checked
first, and the error lists the top authors with their ids and the exact line to add to shizu.toml.
"""

from __future__ import annotations

from dataclasses import dataclass

from shizu.errors import DatasetError
from shizu.store import MessageStore
from shizu.store.authors import Candidate, latest_label, me_candidates, message_counts
from shizu.workspace import Workspace, me_ids


@dataclass(frozen=True, slots=True)
class Identity:
    ids: tuple[str, ...]
    name: str


def resolve_persona(ws: Workspace, store: MessageStore) -> Identity:
    """The persona's ids and name; :class:`DatasetError` when "me" is unknown or wrote nothing."""
    if store.count() == 0:
        raise DatasetError(
            f"The message store ({ws.db_path}) is empty.", hint="Run `shizu ingest PATH...` with your exports first."
        )
    ids = me_ids(ws, store)
    if not ids:
        raise DatasetError(
            "Shizu does not know which messages are yours: [persona] me in shizu.toml is empty"
            " and no Discord data package was ingested.",
            hint=_pick_me_hint(ws, me_candidates(store)),
        )
    counts = message_counts(store, ids)
    if not any(counts.values()):
        raise DatasetError(
            f"None of your ids ({', '.join(ids)}) wrote a message in the store.",
            hint=_pick_me_hint(ws, me_candidates(store)),
        )
    clash = sorted(set(ids) & set(ws.config.privacy.opt_out))
    if clash:
        raise DatasetError(
            f"Your own id {', '.join(clash)} is in [privacy] opt_out, which would remove all your messages.",
            hint=f"Remove it from opt_out in {ws.config_path}.",
        )
    name = ws.config.persona.name or latest_label(store, ids) or "me"
    return Identity(ids=tuple(ids), name=name)


def _pick_me_hint(ws: Workspace, candidates: list[Candidate]) -> str:
    lines = [f"Add your user id under [persona] in {ws.config_path}, for example:"]
    if candidates:
        top = candidates[0]
        lines.append(f'  me = ["{top.id}"]   # {top.name}')
        lines.append("Who could be you (in the most DMs and group chats, then the most messages; `shizu stats` shows the same):")
        lines.extend(
            f"  {c.id}  {c.name}" + (f" ({c.username})" if c.username and c.username != c.name else "")
            + f"  {c.messages:,} message" + ("" if c.messages == 1 else "s")
            + (f", in {c.dm_channels} DM/group chat" + ("" if c.dm_channels == 1 else "s") if c.dm_channels else "")
            for c in candidates
        )
    return "\n".join(lines)
