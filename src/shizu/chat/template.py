"""The one place that turns chat messages into model text: used by training AND by the runtime.

Training and inference must render conversations identically, or the model "talks to itself"
(it never saw the prompt it is given, or never learned where its turn ends). So both go through
the tokenizer's own chat template here:

* :func:`render_prompt` is what the runtime feeds the model: the history plus the template's
  generation prompt (``<|im_start|>assistant\\n`` for ChatML).
* :func:`encode_for_training` renders a whole example and supervises exactly the persona's
  (assistant) turns, each up to and including the template's end-of-turn token
  (``<|im_end|>`` for ChatML): what the model must learn to write, and where it must stop.

Each assistant turn's span is found by rendering the conversation up to that turn with the
generation prompt (where the model starts writing) and through that turn (where it stops), so
the labels follow whatever template the base model ships. Only the tokenizer object is needed;
no heavy imports here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shizu.errors import PersonaError, TrainError

IGNORE_INDEX = -100  # label value that PyTorch's cross-entropy (and transformers) skip

Message = Mapping[str, str]


@dataclass(frozen=True)
class Encoded:
    """Token ids and labels of one example; ``turn_ends[i]`` is the token index just past the
    i-th persona turn's end-of-turn token (a safe place to cut an over-long example)."""

    input_ids: list[int]
    labels: list[int]
    turn_ends: list[int]

    @property
    def supervised(self) -> int:
        return sum(label != IGNORE_INDEX for label in self.labels)


def render(tokenizer: Any, messages: Sequence[Message], *, generation_prompt: bool = False) -> str:
    """The chat template's text for ``messages`` (no tokenisation)."""
    return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=generation_prompt)


def render_prompt(tokenizer: Any, messages: Sequence[Message]) -> str:
    """What the runtime gives the model to get the persona's next turn."""
    return render(tokenizer, messages, generation_prompt=True)


def end_of_turn(tokenizer: Any) -> str:
    """The special token the template writes right after an assistant turn (``<|im_end|>`` for ChatML).

    Found by rendering a probe conversation, so it works for any template; the runtime stops
    generation on it.
    """
    probe = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}, {"role": "assistant", "content": "PROBE"}]
    rendered = render(tokenizer, probe)
    after = rendered[rendered.rfind("PROBE") + len("PROBE"):]
    added = getattr(tokenizer, "added_tokens_decoder", {}).values()
    specials = set(tokenizer.all_special_tokens) | {t.content for t in added if t.special}
    found = [t for t in specials if t and t in after]
    if not found:
        raise TrainError(
            "The chat template does not close assistant turns with a special token "
            f"(after a reply it writes {after!r})",
            hint="Use a base model whose chat template ends each turn with an end-of-turn token "
            "(ChatML's <|im_end|>, Llama 3's <|eot_id|>); otherwise the model never learns to stop.",
        )
    return min(found, key=lambda t: (after.find(t), -len(t)))


def assistant_spans(tokenizer: Any, messages: Sequence[Message], eot: str) -> tuple[str, list[tuple[int, int]]]:
    """The full render and, for each assistant turn, the character span to supervise.

    A span starts where the generation prompt ends (exactly what the runtime renders) and ends
    just after that turn's end-of-turn token. Raises :class:`TrainError` when the template breaks
    the prefix property (the runtime's prompt would not be what training saw) or does not end
    a persona turn with ``eot``.
    """
    full = render(tokenizer, messages)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = render(tokenizer, messages[:i], generation_prompt=True)
        through = render(tokenizer, messages[: i + 1])
        if not full.startswith(prompt) or not through.startswith(prompt) or not full.startswith(through):
            raise TrainError(
                f"The chat template renders turn {i} differently in the prompt than in the full conversation",
                hint="The runtime's prompt must be a prefix of what training sees; use a template that "
                "renders history the same whatever follows (ChatML, Llama 3, Qwen 2.5 all do).",
            )
        end = through.rfind(eot)
        if end < len(prompt):
            raise TrainError(
                f"Persona turn {i} does not end with the end-of-turn token {eot!r} in the template's output",
                hint="Use a chat template that closes every assistant turn with its end-of-turn token.",
            )
        spans.append((len(prompt), end + len(eot)))
    return full, spans


def encode_for_training(tokenizer: Any, messages: Sequence[Message], eot: str | None = None) -> Encoded:
    """Token ids of the rendered example, with labels only on the persona's turns + end-of-turn."""
    eot = eot or end_of_turn(tokenizer)
    text, spans = assistant_spans(tokenizer, messages, eot)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = enc["input_ids"]
    labels = [IGNORE_INDEX] * len(ids)
    turn_ends = []
    span_index = 0
    for j, (start, _end) in enumerate(enc["offset_mapping"]):
        while span_index < len(spans) and start >= spans[span_index][1]:
            turn_ends.append(j)
            span_index += 1
        if span_index < len(spans) and start >= spans[span_index][0]:
            labels[j] = ids[j]
    turn_ends.extend([len(ids)] * (len(spans) - len(turn_ends)))
    return Encoded(input_ids=ids, labels=labels, turn_ends=turn_ends)


def load_tokenizer(folder: Path) -> Any:
    """The tokenizer (with its chat template) saved in ``folder``: a run folder or a base model."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError) as exc:
        raise PersonaError(
            f"Cannot load the tokenizer from {folder}: {exc}",
            hint="The run folder or base model folder is incomplete; train again or check the path.",
        ) from None
