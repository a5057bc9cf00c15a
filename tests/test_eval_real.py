"""The real pipeline on the bundled sample: sample -> ingest -> build -> train (the demo's budget) -> eval.

Checks the targets of the eval issue on the embedded SmolLM2-135M-Instruct: the trained adapter
beats the base model on perplexity and on the overall style distance, its authorship score is at
least 0.8 of the real replies', and it never talks to itself, sends an invented link or copies
more than 5% of its replies from the training text. Takes minutes on a CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shizu.cli import app

SAMPLE = ("--messages", "3000", "--seed", "7")  # scripts/demo.sh's sample
TRAIN: tuple[str, ...] = ()  # the demo's training budget: shizu train's defaults (2 epochs)


def shizu(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.slow
@pytest.mark.native  # the eval generates with llama.cpp when it is installed: run it in a child process
def test_the_trained_adapter_meets_the_targets_on_the_sample(tmp_path: Path) -> None:
    ws = str(tmp_path / "workspace")
    shizu("sample", str(tmp_path / "sample"), *SAMPLE)
    shizu("init", ws)
    shizu("ingest", "-w", ws, str(tmp_path / "sample"))
    shizu("build", "-w", ws)
    shizu("train", "-w", ws, "--name", "demo", *TRAIN)
    report = json.loads(shizu("eval", "-w", ws, "--json"))
    real, base, trained = (report["systems"][name] for name in ("real", "base", "demo"))
    print(json.dumps({name: {k: v for k, v in s.items() if k not in ("style", "style_distance_per_feature")} for name, s in report["systems"].items()}, indent=1))
    assert report["dataset"]["turns"] == report["dataset"]["turns_available"]
    assert trained["prompts_matching_training"] == trained["replies"]
    assert trained["perplexity"] < base["perplexity"]
    assert trained["style_distance"] < base["style_distance"]
    assert trained["authorship"] >= 0.8 * real["authorship"]
    assert trained["self_talk_rate"] == 0.0
    assert trained["invented_link_rate"] == 0.0
    assert trained["verbatim_copy_rate"] <= 0.05
