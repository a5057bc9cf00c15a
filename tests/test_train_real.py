"""A short real run on the embedded SmolLM2-135M-Instruct: the loss on a distinctive style drops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shizu.train.recipe import TrainOptions, train
from shizu.workspace import Workspace
from tiny_model import make_workspace

TOPICS = ["the bus", "pizza", "the exam", "my cat", "rain", "football", "coffee", "the movie", "homework", "music", "the beach", "trains"]


def style_row(i: int, split: str) -> dict:
    topic = TOPICS[i % len(TOPICS)]
    return {
        "id": f"1:{i}:0", "conversation": f"1:{i}", "split": split, "channel_id": "1", "timestamp": "2024-01-01T00:00:00Z",
        "messages": [
            {"role": "system", "content": "You are Mika, chatting with Alice in a DM."},
            {"role": "user", "content": f"Alice: what do you think about {topic}?"},
            {"role": "assistant", "content": f"yo, {topic}? classic, cant go wrong. cheers mate 🍕"},
        ],
        "message_ids": [[], [f"{i}1"], [f"{i}2"]],
    }


@pytest.mark.slow
def test_loss_drops_on_smollm2(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", batch_size=4, eval_every=0, learning_rate=5e-4, warmup=0.0, scheduler="constant")
    for split, count in (("train", 24), ("val", 4)):
        rows = [json.dumps(style_row(i, split), ensure_ascii=False) for i in range(count)]
        (ws.dataset_dir / f"{split}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = train(Workspace(ws.root), TrainOptions(steps=8, name="real"))
    meta = json.loads((result.path / "meta.json").read_text(encoding="utf-8"))
    losses = [point["loss"] for point in meta["loss_curve"]]
    assert len(losses) == 8
    assert meta["base"]["name"] == "SmolLM2-135M-Instruct"
    assert sum(losses[-2:]) / 2 < 0.75 * losses[0], losses
    assert meta["metrics"]["final_val_loss"] < losses[0]
