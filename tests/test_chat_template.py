"""The shared chat format: labels cover exactly the persona's turns plus end-of-turn, nothing else."""

from __future__ import annotations

import pytest
import torch

from shizu.chat.template import IGNORE_INDEX, encode_for_training, end_of_turn, render, render_prompt
from shizu.errors import TrainError
from shizu.train.supervised import SupervisedCollator, supervised_loss
from tiny_model import conversation, smollm2_tokenizer

MULTI_PARTY = [
    {"role": "system", "content": "You are Mika. You are in the server 'Cats', channel #general, with Alice and Bob."},
    {"role": "assistant", "content": "gm gm"},
    {"role": "user", "content": "Alice: did you see the trailer\nBob: it looks so good"},
    {"role": "assistant", "content": "omg yes\nim SO hyped [gif: cat vibing]"},
    {"role": "user", "content": "Alice: same\u2028line two of one message"},
    {"role": "assistant", "content": "ok brb 😭 <EMAIL>"},
]


@pytest.fixture
def tokenizer():
    return smollm2_tokenizer()


def supervised_runs(input_ids: list[int], labels: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    previous = IGNORE_INDEX
    for token, label in zip(input_ids, labels, strict=True):
        if label != IGNORE_INDEX:
            assert label == token
            if previous == IGNORE_INDEX:
                runs.append([])
            runs[-1].append(token)
        previous = label
    return runs


def test_labels_are_exactly_the_persona_turns_each_with_end_of_turn(tokenizer) -> None:
    enc = encode_for_training(tokenizer, MULTI_PARTY)
    persona = [m["content"] for m in MULTI_PARTY if m["role"] == "assistant"]
    runs = supervised_runs(enc.input_ids, enc.labels)
    assert [tokenizer.decode(run) for run in runs] == [content + "<|im_end|>" for content in persona]
    eot_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert runs == [tokenizer(content, add_special_tokens=False)["input_ids"] + [eot_id] for content in persona]
    assert tokenizer.decode(enc.input_ids) == render(tokenizer, MULTI_PARTY)
    assert enc.supervised == sum(len(run) for run in runs)


def test_turn_ends_point_just_past_each_end_of_turn(tokenizer) -> None:
    enc = encode_for_training(tokenizer, MULTI_PARTY)
    eot_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert len(enc.turn_ends) == 3
    assert [enc.input_ids[end - 1] for end in enc.turn_ends] == [eot_id] * 3
    assert [enc.labels[end - 1] for end in enc.turn_ends] == [eot_id] * 3
    assert enc.labels[enc.turn_ends[-1]] == IGNORE_INDEX  # the newline after <|im_end|> is not learned


def test_inference_prompt_is_the_training_text_before_the_reply(tokenizer) -> None:
    prompt = render_prompt(tokenizer, MULTI_PARTY[:-1])
    full = render(tokenizer, MULTI_PARTY)
    assert prompt.endswith("<|im_start|>assistant\n")
    assert full == prompt + "ok brb 😭 <EMAIL><|im_end|>\n"
    assert end_of_turn(tokenizer) == "<|im_end|>"


def test_end_of_turn_follows_the_template(tokenizer) -> None:
    tokenizer.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|endoftext|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    assert end_of_turn(tokenizer) == "<|endoftext|>"
    runs = supervised_runs(*_ids_labels(encode_for_training(tokenizer, conversation(1))))
    assert [tokenizer.decode(run) for run in runs] == [m["content"] + "<|endoftext|>" for m in conversation(1) if m["role"] == "assistant"]


def test_template_without_end_of_turn_token_is_rejected(tokenizer) -> None:
    tokenizer.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}"
    with pytest.raises(TrainError, match="does not close assistant turns"):
        end_of_turn(tokenizer)


def test_template_whose_prompt_differs_from_training_text_is_rejected(tokenizer) -> None:
    tokenizer.chat_template = (
        "{% if add_generation_prompt %}<|im_start|>system\nReply now.<|im_end|>\n{% endif %}"
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    with pytest.raises(TrainError, match="differently in the prompt"):
        encode_for_training(tokenizer, MULTI_PARTY, "<|im_end|>")


def test_loss_over_kept_logits_equals_the_models_own_loss(tokenizer) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
    ))
    tokenizer.pad_token = "<|endoftext|>"
    features = [dict(zip(("input_ids", "labels"), _ids_labels(encode_for_training(tokenizer, m)))) for m in (MULTI_PARTY, conversation(2))]
    batch = SupervisedCollator(tokenizer)(features)
    labels = batch.pop("labels")
    targets = int((labels[:, 1:] != IGNORE_INDEX).sum())
    outputs = model(**batch)
    assert outputs.logits.shape == (targets, len(tokenizer))
    ours = supervised_loss(outputs, labels)
    del batch["logits_to_keep"]
    reference = model(**batch, labels=labels).loss
    assert torch.isfinite(ours)
    assert torch.allclose(ours, reference, atol=1e-5)


def _ids_labels(enc) -> tuple[list[int], list[int]]:
    return enc.input_ids, enc.labels
