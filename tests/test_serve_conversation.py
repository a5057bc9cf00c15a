"""From OpenAI-style messages to the speakers of the live conversation."""

from __future__ import annotations

import pytest

from clock import NOW
from shizu.frontends.web.conversation import Incoming, to_history
from shizu.frontends.web.http_errors import ApiError
from shizu.persona import LiveMessage


def speakers(messages: list[Incoming]) -> list[tuple[str, str, bool]]:
    return [(m.speaker, m.text, m.is_persona) for m in to_history(messages, "Mika", "Friend", NOW)]


def test_names_prefixes_and_the_default_speaker() -> None:
    assert speakers([
        Incoming("system", "You are Mika. Stay in character."),
        Incoming("user", "hi\nanyone here?"),
        Incoming("user", "Alice: me!\nwhat's up\nBob:  yo"),
        Incoming("user", "Carol: not a prefix when named", name="Dan"),
        Incoming("assistant", "Mika: hey all\n\nwhat's the plan"),
        Incoming("user", "Mika: i said nothing", name=None),
        Incoming("developer", "ignored"),
    ]) == [
        ("Friend", "hi", False),
        ("Friend", "anyone here?", False),
        ("Alice", "me!", False),
        ("Alice", "what's up", False),
        ("Bob", "yo", False),
        ("Dan", "Carol: not a prefix when named", False),
        ("Mika", "hey all", True),
        ("Mika", "what's the plan", True),
        ("Mika", "i said nothing", True),
    ]


def test_every_message_is_stamped_now() -> None:
    history = to_history([Incoming("user", "a"), Incoming("assistant", "b")], "Mika", "Friend", NOW)
    assert history == [LiveMessage("Friend", "a", NOW), LiveMessage("Mika", "b", NOW, is_persona=True)]


@pytest.mark.parametrize(
    "text", ["https://example.org/a: b", "note:no space", ": empty name", "a name that is far too long to be anyone's: hi"]
)
def test_what_is_not_a_name_prefix(text: str) -> None:
    assert speakers([Incoming("user", text)]) == [("Friend", text, False)]


def test_names_are_cleaned_for_the_prompt_layout() -> None:
    assert speakers([Incoming("user", "hello", name="  Big\tSam ")]) == [("Big Sam", "hello", False)]


@pytest.mark.parametrize(
    ("messages", "message", "param"),
    [
        (
            [Incoming("user", "hi"), Incoming("function", "{}")],
            "messages[1]: role 'function' is not supported; use user, assistant or system",
            "messages[1].role",
        ),
        (
            [Incoming("system", "only rules"), Incoming("user", "  \n ")],
            "messages: nothing to answer; send at least one user message",
            "messages",
        ),
    ],
)
def test_unusable_requests_are_400(messages: list[Incoming], message: str, param: str) -> None:
    with pytest.raises(ApiError) as caught:
        to_history(messages, "Mika", "Friend", NOW)
    assert (caught.value.status, caught.value.message, caught.value.param) == (400, message, param)
