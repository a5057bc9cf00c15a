"""``shizu chat``: talk to the persona in the terminal.

Interactive, the reply streams in: the message being written shows live, and each finished
message of the burst is printed on its own line. With stdin not a terminal (a file, a pipe, a
test), every input line is one message (or command) and only the replies are printed on stdout,
one message per line, so scripts can use it; notices go to stderr.

Commands: ``/reset`` (new conversation), ``/as NAME`` (speak as someone else), ``/place dm`` or
``/place #channel`` (where the conversation happens), ``/channel NAME`` (chat as a channel with
memories), ``/help``, ``/quit``.

Memory: a ``/place`` is a made-up place of the terminal (platform ``terminal``), so with the
default ``[memory] scope`` it recalls only what was remembered in that same terminal place;
``--channel`` / ``/channel`` chat "as" a real channel, DM or group with memories (its id or name,
from the memory's places) and recall in its scope. After each reply the conversation is handed to
the memory (terminal messages have no user id, so only the bot's replies are remembered, and only
with ``[memory] remember_own_replies``). ``show_memory`` prints what each reply recalled.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from shizu.chat.layout import Place, parse_place
from shizu.errors import PersonaError, ShizuError
from shizu.memory import Recalled, Where
from shizu.memory.render import block
from shizu.persona.live import LiveMessage
from shizu.persona.runtime import Done, Draft, Persona, Reply, Said

HELP = """\
/reset          start a new conversation (forget what was said)
/as NAME        speak as NAME from now on (a friend of the persona)
/place dm       chat in a direct message
/place #name    chat in the server channel #name
/channel NAME   chat as the channel, DM or group NAME (or id) and recall its memories
/help           this list
/quit           leave (Ctrl-D works too)"""


def now() -> datetime:
    """The current time (one place to fake it in tests)."""
    return datetime.now(UTC)


TERMINAL = "terminal"  # the platform of the terminal's own made-up places


def terminal_where(place: Place) -> Where:
    """A made-up place of the terminal, for the memory: ``dm`` or the channel's name."""
    return Where(TERMINAL, place.kind, place.channel or place.kind)


def find_channel(persona: Persona, name: str) -> tuple[Where, Place]:
    """The place with memories called ``name`` (its id or its name), to chat as; an error without memory."""
    if persona.memory is None:
        raise PersonaError(
            "The persona has no memory to recall a channel from",
            hint="Set enabled = true in the [memory] section of shizu.toml and run `shizu build` (and leave out --no-memory).",
        )
    return persona.memory.index.place(name)


class ChatSession:
    """One terminal conversation: who is speaking, where (shown, and for the memory), and what was said."""

    def __init__(
        self, persona: Persona, out: Console, info: Console, *, speaker: str, place: Place, interactive: bool,
        where: Where | None = None, show_memory: bool = False,
    ) -> None:
        self.persona = persona
        self.out, self.info = out, info
        self.speaker, self.place = speaker, place
        self.where = where or terminal_where(place)
        self.interactive = interactive
        self.show_memory = show_memory
        self.history: list[LiveMessage] = []

    def run(self, lines: Iterable[str]) -> None:
        """Handle each input line until ``/quit`` or the end of input."""
        for line in lines:
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if line.startswith("/"):
                if not self.command(line):
                    return
                continue
            self.history.append(LiveMessage(self.speaker, line, now()))
            self.answer()

    def command(self, line: str) -> bool:
        """Apply one ``/command``; ``False`` means quit."""
        name, _, arg = line[1:].partition(" ")
        name, arg = name.casefold(), arg.strip()
        if name in ("quit", "exit", "q"):
            return False
        if name == "reset":
            self.history.clear()
            self.notice("New conversation.")
        elif name == "as" and arg:
            self.speaker = arg
            self.notice(f"You are now {arg}.")
        elif name == "place" and (place := parse_place(arg)) is not None:
            self.place, self.where = place, terminal_where(place)
            self.notice(f"The conversation is now in {place.label()}.")
        elif name == "channel" and arg:
            try:
                self.where, self.place = find_channel(self.persona, arg)
            except ShizuError as exc:
                self.notice(str(exc))
            else:
                self.notice(f"The conversation is now in {self.place.label()}, recalling its memories.")
        elif name == "help":
            self.notice(HELP)
        else:
            self.notice(f"Unknown command {line!r}; /help lists the commands.")
        return True

    def answer(self) -> None:
        """Stream the persona's reply to the conversation so far and remember it."""
        events = self.persona.stream(self.history, self.place, now=now(), where=self.where)
        said: list[str] = []
        reply: Reply | None = None
        try:
            if self.interactive:
                with Live(console=self.out, transient=True, refresh_per_second=12) as live:
                    for event in events:
                        if isinstance(event, Draft):
                            live.update(Text.assemble((f"{self.persona.name}: ", "bold magenta"), (event.text, "dim")))
                        elif isinstance(event, Said):
                            live.update(Text(""))
                            live.console.print(f"[bold magenta]{escape(self.persona.name)}:[/] {escape(event.message.text)}")
                            said.append(event.message.text)
                        elif isinstance(event, Done):
                            reply = event.reply
            else:
                for event in events:
                    if isinstance(event, Said):
                        self.out.print(event.message.text, markup=False, highlight=False, soft_wrap=True)
                        said.append(event.message.text)
                    elif isinstance(event, Done):
                        reply = event.reply
                        if not reply.messages:
                            self.notice(f"({self.persona.name} sent nothing)")
        except KeyboardInterrupt:
            events.close()
            self.notice("(reply interrupted)")
        stamp = now()
        self.history.extend(LiveMessage(self.persona.name, text, stamp, is_persona=True) for text in said)
        if reply is not None:
            if self.show_memory:
                self.recalled(reply.memories)
            self.persona.remember(self.history, self.where, self.place)

    def recalled(self, memories: tuple[Recalled, ...]) -> None:
        """What the reply's prompt recalled, as the prompt showed it (plain text, never markup)."""
        memory = self.persona.memory
        if not memories or memory is None:
            self.notice("(recalled nothing)")
            return
        for recalled in memories:
            self.notice(f"(recalled memory {recalled.id}) " + block(recalled.memory, self.persona.name, memory.tz))

    def notice(self, text: str) -> None:
        self.info.print(text, style="dim" if self.interactive else None, markup=False, highlight=False)


def interactive_lines(console: Console, session: ChatSession) -> Iterable[str]:
    """Lines typed at the prompt (the current speaker's name) until Ctrl-D or Ctrl-C."""
    while True:
        try:
            yield console.input(f"[bold cyan]{escape(session.speaker)}>[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return


def run_chat(
    persona: Persona, out: Console, info: Console, *, lines: Iterable[str] | None, speaker: str, place: Place,
    where: Where | None = None, show_memory: bool = False,
) -> None:
    """The chat loop: interactive when ``lines`` is ``None``, else one message per line of ``lines``;
    ``where``: the place's ids for the memory (default: the terminal's own place)."""
    session = ChatSession(persona, out, info, speaker=speaker, place=place, interactive=lines is None, where=where, show_memory=show_memory)
    if lines is None:
        with out.status("Loading the model..."):
            persona.prepare()
        out.print(
            f"Chatting with [bold magenta]{escape(persona.name)}[/] in {place.label()} as "
            f"[bold cyan]{escape(speaker)}[/]. /help lists the commands."
        )
        session.run(interactive_lines(out, session))
    else:
        persona.prepare()
        session.run(lines)
