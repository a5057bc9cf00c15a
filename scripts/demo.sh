#!/usr/bin/env bash
# `make demo`: the whole pipeline on the bundled sample export, on CPU.
set -euo pipefail
out=${1:-demo}
shizu=.venv/bin/shizu
rm -rf "$out"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/4 Generate the sample export (DiscordChatExporter JSON + the persona's data package)"
$shizu sample "$out/sample" --messages 3000 --seed 7

step "2/4 Create a workspace"
$shizu init "$out/workspace"

step "3/4 Ingest the exports (the data package tells Shizu who \"me\" is)"
$shizu ingest --workspace "$out/workspace" "$out/sample"
echo "(ingesting again adds nothing:)"
$shizu ingest --workspace "$out/workspace" "$out/sample" --json | .venv/bin/python -c \
  'import json,sys; d=json.load(sys.stdin); print("new messages on re-ingest:", sum(f["new"] for f in d["files"]))'

step "4/4 What is in the store"
$shizu stats --workspace "$out/workspace"
$shizu stats --workspace "$out/workspace" --html

printf '\nDone. The workspace is %s/workspace; try: .venv/bin/shizu stats -w %s/workspace\n' "$out" "$out"
