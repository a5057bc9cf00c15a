"""An Ollama ``Modelfile`` whose prompt template renders exactly like the training template.

Ollama templates are Go templates; the Hugging Face chat template is Jinja. Rather than
translating Jinja, :func:`chat_layout` measures the training template: it renders probe
conversations with the run's tokenizer and finds the three strings every turn is made of
(``head`` before the first turn, ``<open>ROLE<sep>CONTENT`` per turn, ``between`` turns), then
checks that rebuilding another conversation from them gives the template's output byte for byte.
ChatML (SmolLM2, Qwen2.5) and Llama 3 templates have this shape; a template that does not (one
that injects dates or tool lists) is refused rather than approximated.

The stop strings are the template's end-of-turn token and every special token of the turn
separator, so Ollama ends the persona's turn where training did.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shizu.chat.template import end_of_turn, render, render_prompt
from shizu.config import GenerationConfig
from shizu.errors import ExportError

_MARK = "\x00{}\x00"
_SPECIAL = re.compile(r"<\|[^|<>\s]+\|>")
REFUSED = "Use the llama.cpp backend or `shizu chat --server` (both render the prompt themselves) instead of Ollama's template."


@dataclass(frozen=True)
class ChatLayout:
    """A role-uniform chat template: ``head + role + sep + content (+ between + role + sep + content)* + between + assistant + sep``."""

    head: str  # before the first turn's role name (BOS, the first header opening)
    sep: str  # between a role name and the content
    between: str  # after a turn's content, through the next turn's header opening
    eot: str  # the end-of-turn token (starts ``between``)

    def render(self, messages: Sequence[dict[str, str]]) -> str:
        """The prompt these pieces produce for ``messages`` (what the Go template will write)."""
        turns = self.between.join(f"{m['role']}{self.sep}{m['content']}" for m in messages)
        return f"{self.head}{turns}{self.between}assistant{self.sep}"

    def go_template(self) -> str:
        """The same layout as an Ollama (Go) template over ``.Messages``."""
        return (
            f"{self.head}{{{{ range $i, $m := .Messages }}}}{{{{ if $i }}}}{self.between}{{{{ end }}}}"
            f"{{{{ $m.Role }}}}{self.sep}{{{{ $m.Content }}}}{{{{ end }}}}{self.between}assistant{self.sep}"
        )

    @property
    def stops(self) -> list[str]:
        return list(dict.fromkeys([self.eot, *_SPECIAL.findall(self.between + self.sep)]))


def chat_layout(tokenizer: Any) -> ChatLayout:
    """Measure the tokenizer's chat template (see the module docstring); raise if it is not role-uniform."""
    probe = [
        {"role": "system", "content": _MARK.format("s")},
        {"role": "user", "content": _MARK.format("u")},
        {"role": "assistant", "content": _MARK.format("a")},
    ]
    text = render_prompt(tokenizer, probe)
    if any(text.count(m["content"]) != 1 for m in probe):
        raise ExportError("The chat template does not write each message's content once, as it is", hint=REFUSED)
    first, after_s = text.split(probe[0]["content"])
    to_user, after_u = after_s.split(probe[1]["content"])
    to_assistant, tail = after_u.split(probe[2]["content"])
    between, sep = _split_role(to_user, "user")
    if _split_role(to_assistant, "assistant") != (between, sep) or tail != f"{between}assistant{sep}" or not first.endswith(f"system{sep}"):
        raise ExportError("The chat template writes turns of different roles differently; Ollama's template cannot copy it", hint=REFUSED)
    layout = ChatLayout(head=first.removesuffix(f"system{sep}"), sep=sep, between=between, eot=end_of_turn(tokenizer))
    check = [
        {"role": "system", "content": "You are Mika.\nDM with Alice."},
        {"role": "user", "content": "Alice: hey"},
        {"role": "assistant", "content": "yo\nwhat's up"},
        {"role": "user", "content": "Alice: movie tonight?"},
    ]
    if layout.render(check) != render(tokenizer, check, generation_prompt=True):
        raise ExportError("The chat template is not a plain sequence of turns; Ollama's template cannot copy it exactly", hint=REFUSED)
    return layout


def _split_role(text: str, role: str) -> tuple[str, str]:
    """``text`` is ``before + role + after``; return (before, after)."""
    before, found, after = text.rpartition(role)
    if not found:
        raise ExportError(f"The chat template does not write the role name {role!r} in its turn headers", hint=REFUSED)
    return before, after


def modelfile(base: str, adapter: str | None, layout: ChatLayout, generation: GenerationConfig, name: str) -> str:
    """The Modelfile text: ``ollama create <name> -f Modelfile`` in its folder builds the persona."""
    for piece in (layout.head, layout.sep, layout.between):
        if "{{" in piece or '"""' in piece:
            raise ExportError(f"The chat template contains {piece!r}, which an Ollama template cannot hold literally", hint=REFUSED)
    lines = [
        f"# {name}: made by `shizu export --gguf`. Build it with: ollama create {name.lower()} -f Modelfile",
        f"FROM {base}",
        *([f"ADAPTER {adapter}"] if adapter else []),
        f'TEMPLATE """{layout.go_template()}"""',
        *(f"PARAMETER stop {_quote(stop)}" for stop in layout.stops),
        f"PARAMETER temperature {generation.temperature}",
        f"PARAMETER top_p {generation.top_p}",
        f"PARAMETER repeat_penalty {generation.repetition_penalty}",
        f"PARAMETER num_predict {generation.max_new_tokens}",
    ]
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
