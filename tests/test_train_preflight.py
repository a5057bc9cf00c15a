"""Preflight checks: pad differs from EOS, nothing fully masked, turns end with end-of-turn, cutoff share."""

from __future__ import annotations

import pytest

from shizu.chat.template import IGNORE_INDEX, Encoded, encode_for_training
from shizu.errors import TrainError
from shizu.train.encode import Cutoff, Example
from shizu.train.preflight import check_cutoff, check_supervision, ensure_distinct_pad
from tiny_model import conversation, smollm2_tokenizer


@pytest.fixture
def tokenizer():
    return smollm2_tokenizer()


def test_pad_equal_to_eos_is_replaced_by_an_existing_special_token(tokenizer) -> None:
    assert tokenizer.pad_token == tokenizer.eos_token == "<|im_end|>"  # as shipped in the GGUF
    said = ensure_distinct_pad(tokenizer, "<|im_end|>")
    assert (tokenizer.pad_token, tokenizer.pad_token_id) == ("<|endoftext|>", 0)
    assert said.startswith("pad token set to '<|endoftext|>' (id 0): it was '<|im_end|>'")
    assert ensure_distinct_pad(tokenizer, "<|im_end|>") == "pad token '<|endoftext|>' (id 0) differs from EOS/end-of-turn"


def test_no_usable_pad_token_is_an_error() -> None:
    class Bare:
        pad_token = eos_token = "</s>"

        def get_vocab(self) -> dict[str, int]:
            return {"</s>": 0, "a": 1}

    with pytest.raises(TrainError, match="pads with '</s>'"):
        ensure_distinct_pad(Bare(), "</s>")


def example(i: int) -> Example:
    return Example(id=f"ex{i}", where=f"dataset/train.jsonl:{i + 1}", messages=conversation(i))


def test_well_formed_examples_pass(tokenizer) -> None:
    examples = [example(0), example(1)]
    check_supervision(tokenizer, examples, [encode_for_training(tokenizer, e.messages) for e in examples], "<|im_end|>")


def test_fully_masked_example_is_named(tokenizer) -> None:
    enc = encode_for_training(tokenizer, conversation(3))
    masked = Encoded(enc.input_ids, [IGNORE_INDEX] * len(enc.labels), enc.turn_ends)
    with pytest.raises(TrainError, match=r"^dataset/train.jsonl:4: example 'ex3' has no supervised tokens"):
        check_supervision(tokenizer, [example(3)], [masked], "<|im_end|>")


def test_turn_without_end_of_turn_is_named(tokenizer) -> None:
    enc = encode_for_training(tokenizer, conversation(2))
    end = enc.turn_ends[0] - 1
    labels = list(enc.labels)
    labels[end] = IGNORE_INDEX  # the <|im_end|> of the first persona turn is not learned
    with pytest.raises(TrainError, match=r"^dataset/train.jsonl:3: a persona turn in example 'ex2' does not end with '<\|im_end\|>'"):
        check_supervision(tokenizer, [example(2)], [Encoded(enc.input_ids, labels, enc.turn_ends)], "<|im_end|>")


def test_cutoff_share_below_minimum_fails_with_the_fix() -> None:
    check_cutoff(Cutoff(max_length=256, whole=95, shortened=5, dropped=0), 0.95, "train.jsonl")
    with pytest.raises(TrainError) as info:
        check_cutoff(Cutoff(max_length=256, whole=94, shortened=5, dropped=1), 0.95, "train.jsonl")
    assert info.value.message == (
        "train.jsonl: cutoff 256 tokens keeps 94.0% of 100 examples whole "
        "(5 cut back to their last whole persona turn, 1 dropped); at least 95% must stay whole"
    )
    assert "max_length above 256" in info.value.hint
