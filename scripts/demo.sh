#!/usr/bin/env bash
# `make demo`: the whole pipeline on the bundled sample export, on CPU (about 19 minutes on 2 idle cores, 15 of them training).
set -euo pipefail
out=${1:-demo}
shizu=.venv/bin/shizu
ws="$out/workspace"
rm -rf "$out"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/8 Generate the sample export (DiscordChatExporter JSON + the persona's data package)"
$shizu sample "$out/sample" --messages 3000 --seed 7

step "2/8 Create a workspace, with the persona's memory on (off by default; docs/memory.md)"
$shizu init "$ws"
sed -i 's/^enabled = false$/enabled = true/' "$ws/shizu.toml"  # the only `enabled` key: [memory]'s

step "3/8 Ingest the exports (the data package tells Shizu who \"me\" is)"
$shizu ingest --workspace "$ws" "$out/sample"
echo "(ingesting again adds nothing:)"
$shizu ingest --workspace "$ws" "$out/sample" --json | .venv/bin/python -c \
  'import json,sys; d=json.load(sys.stdin); print("new messages on re-ingest:", sum(f["new"] for f in d["files"]))'

step "4/8 What is in the store"
$shizu stats --workspace "$ws"

step "5/8 Build the training set (conversations, media catalogue, PII redaction, time split, memories)"
$shizu build --workspace "$ws" --export openai --export sharegpt

step "6/8 Train a LoRA adapter on the embedded SmolLM2-135M-Instruct ([train] defaults: 2 epochs)"
$shizu train --workspace "$ws" --name demo

step "7/8 Evaluate on held-out conversations: base model vs the trained adapter (and fact recall on the sample's facts)"
$shizu eval --workspace "$ws" --run demo --limit 24 --facts "$out/sample/facts.json" --html
echo
echo "Three held-out exchanges, side by side (real reply, base model, trained adapter):"
.venv/bin/python scripts/side_by_side.py "$ws/reports/eval/report.json" 3

step "8/8 A short scripted conversation through \`shizu chat\` (as Theo, then Priya in #general, then Priya in her DM with Mika, showing what Mika recalls)"
$shizu chat --workspace "$ws" --run demo --as Theo --show-memory < scripts/demo-chat.txt

printf '\nDone. Talk to Mika yourself:  .venv/bin/shizu chat -w %s\n' "$ws"
printf 'Reports: %s/dataset/report.html, %s/reports/eval/report.html\n' "$ws" "$ws"
