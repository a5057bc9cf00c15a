"""The ``shizu`` command: a thin layer over the library, and the only place that prints.

Library code raises :class:`shizu.errors.ShizuError`; only here is it turned into a message and an
exit code. Library code reports progress through :class:`shizu.progress.Reporter`, which
:mod:`.progress` presents; the views (``ingest_view``, ``stats_view``, ``build_view``,
``eval_view``, ``memory_view``, ``feedback_view``) show each command's results, on the consoles of :mod:`.console`. Heavy imports stay
inside the commands so ``shizu --help`` is instant.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from shizu.cli.console import console, err_console, print_json
from shizu.errors import ShizuError
from shizu.extras import require
from shizu.workspace import Workspace

app = typer.Typer(
    name="shizu",
    help="Turn your own chat history into a chatbot that talks like you, on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

WorkspaceOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--workspace", "-w", help="Workspace folder (default: $SHIZU_WORKSPACE or the current directory).",
        envvar="SHIZU_WORKSPACE", show_envvar=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON summary instead.")]
NoMemoryOpt = Annotated[
    bool, typer.Option("--no-memory", help="Neither recall nor remember (to compare with the memory on; see docs/memory.md).")
]


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
    me: Annotated[Optional[list[str]], typer.Option("--me", help="Your own user id (repeat for several).")] = None,
    name: Annotated[str, typer.Option("--name", help="The persona's name in prompts.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing shizu.toml.")] = False,
) -> None:
    """Create a workspace: a folder with a commented shizu.toml, and a persona.md to write about yourself."""
    ws = Workspace.create(directory, name=name, me=me or [], force=force)
    ws.config  # validate what we wrote, e.g. ids given with --me
    console.print(f"Created [bold]{ws.config_path}[/] (and {ws.profile_path.name}, for what the persona should know about you)")
    console.print("Next: [bold]shizu ingest PATH...[/] with your exports, then [bold]shizu stats[/].")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Export files, folders or zip archives.")],
    workspace: WorkspaceOpt = None,
    json: JsonOpt = False,
    timezone: Annotated[
        Optional[str], typer.Option("--timezone", help="Time zone of exports whose times carry none (WhatsApp, old CSV): an IANA name (default: [ingest] timezone, else UTC).")
    ] = None,
) -> None:
    """Read exports into the workspace's message store (re-ingesting adds only what is new)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from shizu.cli.ingest_view import run_ingest

    ws = Workspace.find(workspace)
    zone_name = timezone if timezone is not None else ws.config.ingest.timezone
    try:
        zone = ZoneInfo(zone_name) if zone_name else None
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"unknown time zone {zone_name!r}; use an IANA name such as Europe/Paris", param_hint="--timezone") from None
    ok = run_ingest(ws, paths, console=err_console if json else console, as_json=json, timezone=zone)
    if not ok:
        raise typer.Exit(1)


@app.command()
def stats(
    workspace: WorkspaceOpt = None,
    json: JsonOpt = False,
    html: Annotated[
        bool, typer.Option("--html", help="Also write reports/stats/index.html with activity plots.")
    ] = False,
) -> None:
    """Summarise the store: messages, channels, top authors with their ids, and who "me" is."""
    from rich.markup import escape

    from shizu.cli.stats_view import print_stats
    from shizu.stats.report import write_report
    from shizu.store.summary import summarize
    from shizu.workspace import me_ids

    ws = Workspace.find(workspace)
    with ws.open_store() as store:
        summary = summarize(store, me_ids(ws, store), store.account_ids(), opted_out=ws.config.privacy.opt_out)
        report = write_report(store, summary, ws.reports_dir / "stats") if html else None
    if json:
        print_json(summary)
    else:
        print_stats(console, summary, ws.config_path)
    if report is not None:
        (err_console if json else console).print(f"Report: {escape(str(report))}")


@app.command()
def build(
    workspace: WorkspaceOpt = None,
    json: JsonOpt = False,
    write_dropped: Annotated[
        Optional[Path], typer.Option("--write-dropped", help="Write every dropped item with its reason (JSONL).")
    ] = None,
    export: Annotated[
        Optional[list[str]], typer.Option("--export", help="Also export for another stack: openai or sharegpt (repeatable).")
    ] = None,
) -> None:
    """Build the training set (dataset/) from the store: conversations, filters, media catalogue, report."""
    from shizu.cli.build_view import run_build

    ws = Workspace.find(workspace)
    ws.config
    run_build(ws, console=err_console if json else console, as_json=json, write_dropped=write_dropped, exports=export)


@app.command()
def train(
    workspace: WorkspaceOpt = None,
    base: Annotated[
        Optional[str], typer.Option("--base", help="Model to fine-tune: Hub id, model folder or .gguf (default: train.base in shizu.toml, else the embedded SmolLM2).")
    ] = None,
    steps: Annotated[Optional[int], typer.Option("--steps", min=1, help="Train exactly N optimizer steps (quick runs).")] = None,
    epochs: Annotated[Optional[float], typer.Option("--epochs", min=0.01, help="Passes over train.jsonl.")] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Learning rate.")] = None,
    rank: Annotated[Optional[int], typer.Option("--rank", min=1, help="LoRA rank.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Run folder name under runs/ (default: date-time).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the latest interrupted run (or --name's) to its final step.")] = False,
    qlora: Annotated[Optional[bool], typer.Option("--qlora/--no-qlora", help="4-bit base weights (CUDA + bitsandbytes).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and how long it would take on this machine; train nothing.")] = False,
    time_budget: Annotated[
        Optional[str], typer.Option("--time", metavar="DURATION", help="Fit the run into this wall-clock time (45m, 1h30m): fewer steps, the most recent examples first.")
    ] = None,
    no_memory: Annotated[
        bool, typer.Option("--no-memory", help="Leave the recalled memories out of every example (the run then answers without memory; docs/memory.md).")
    ] = False,
    preference: Annotated[
        bool, typer.Option("--preference", help="A preference stage (DPO or KTO) on a finished run: its replies to training contexts lose to your real ones (docs/training.md).")
    ] = False,
    parent: Annotated[
        Optional[str], typer.Option("--parent", metavar="RUN", help="With --preference: the finished run to continue (default: the latest supervised run).")
    ] = None,
    rounds: Annotated[Optional[int], typer.Option("--rounds", min=1, help="With --preference: self-play rounds, each continuing the run the last one wrote (default 1).")] = None,
    pairs: Annotated[Optional[int], typer.Option("--pairs", min=1, help="With --preference: training contexts answered per round, evenly spread (default 200).")] = None,
    beta: Annotated[Optional[float], typer.Option("--beta", help="With --preference: DPO's beta (default 0.1; higher stays closer to the parent run).")] = None,
    sft_weight: Annotated[
        Optional[float], typer.Option("--sft-weight", help="With --preference: add this times the real replies' own loss to DPO's (RPO; default 1; 0: plain DPO).")
    ] = None,
    pairs_from: Annotated[
        Optional[str], typer.Option("--pairs-from", metavar="RUN", help="With --preference: train on the pairs and ratings run RUN made (same parent); make none again.")
    ] = None,
    objective: Annotated[
        Optional[str], typer.Option(
            "--objective", metavar="dpo|kto",
            help="With --preference: dpo (default) trains on pairs; kto also on replies judged alone (thumbs, blind-test answers).",
        )
    ] = None,
    skip_passing: Annotated[
        bool, typer.Option("--skip-passing", help="With --preference: leave out self-play pairs whose losing reply shizu eval's detector already takes for yours.")
    ] = False,
) -> None:
    """Fine-tune a LoRA adapter on dataset/ into runs/NAME/ (checkpoints, Ctrl-C safe, --resume); --preference: a DPO or KTO stage on top of a run."""
    require("shizu train", "train")
    from rich.markup import escape

    from shizu.cli.progress import RichReporter
    from shizu.train.recipe import TrainOptions
    from shizu.train.recipe import train as run_training

    ws = Workspace.find(workspace)
    ws.config
    if int(os.environ.get("RANK", "0")) != 0:  # a process of `accelerate launch` other than the main one: errors only
        console.quiet = True
    if resume and not preference:
        from shizu.train.dpo import resumes_preference

        preference = resumes_preference(ws, name)
    _check_stage_flags(
        preference, supervised={"--base": base, "--rank": rank, "--time": time_budget, "--dry-run": dry_run, "--no-memory": no_memory},
        stage={"--parent": parent, "--rounds": rounds, "--pairs": pairs, "--beta": beta, "--sft-weight": sft_weight, "--pairs-from": pairs_from, "--objective": objective,
               "--skip-passing": skip_passing},
    )
    with RichReporter(console) as reporter:
        if preference:
            from shizu.preference.stage import PreferenceOptions, train_preference

            stage = PreferenceOptions(
                parent=parent, rounds=rounds, contexts=pairs, pairs_from=pairs_from, beta=beta, sft_weight=sft_weight, learning_rate=lr, steps=steps,
                epochs=epochs, objective=objective, skip_passing=skip_passing or None, qlora=qlora, name=name, resume=resume,
            )
            result = train_preference(ws, stage, reporter)
        else:
            options = TrainOptions(
                base=base, steps=steps, epochs=epochs, learning_rate=lr, rank=rank, qlora=qlora, name=name, resume=resume, dry_run=dry_run,
                time_budget=time_budget, memory=not no_memory,
            )
            result = run_training(ws, options, reporter)
    if dry_run:
        return
    if not result.finished:
        console.print(
            f"[yellow]Stopped at step {result.step}/{result.max_steps}[/]; checkpoint in {escape(str(result.path))}.\n"
            f"Continue with [bold]shizu train --resume --name {result.name}[/]."
        )
        raise typer.Exit(130)
    console.print(f"[green]Done:[/] step {result.step}/{result.max_steps}, adapter, meta.json and loss.png in [bold]{escape(str(result.path))}[/]")
    if preference:
        from shizu.runs import read_meta

        parent_run = read_meta(result.path)["parent"]["name"]
        console.print(f"Compare it with its parent: [bold]shizu eval --run {escape(parent_run)} --run {escape(result.name)}[/]")


def _check_stage_flags(preference: bool, *, supervised: dict[str, object], stage: dict[str, object]) -> None:
    """Flags of one kind of run given to the other: a clear error before anything loads."""
    from shizu.errors import TrainError

    wrong = [flag for flag, value in (supervised if preference else stage).items() if value not in (None, False)]
    if wrong and preference:
        raise TrainError(
            f"--preference cannot take {', '.join(wrong)}",
            hint="The preference stage continues its parent run (same base, adapter, cutoff and memory): drop those flags.",
        )
    if wrong:
        raise TrainError(f"{', '.join(wrong)} only go with --preference", hint="Add --preference, or drop those flags.")


@app.command()
def sample(
    out_dir: Annotated[Path, typer.Argument(help="Folder for the sample (export/ and package/ are created in it).")],
    messages: Annotated[int, typer.Option("--messages", min=200, help="Exact number of messages in the export.")] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 0,
    style: Annotated[
        str, typer.Option("--style", help="How the persona writes: unmistakable (the easy case) or subtle (differs from her friends only statistically).")
    ] = "unmistakable",
    partition: Annotated[
        Optional[int], typer.Option("--partition", min=1, help="At most N messages per file, like DCE's -p N.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace export/ and package/ of an earlier sample.")] = False,
    json: JsonOpt = False,
) -> None:
    """Write a made-up sample: the persona Mika's DiscordChatExporter export and her data package."""
    import shutil

    from rich.markup import escape

    from shizu.sample.generate import write_sample

    if force:
        for folder in (out_dir / "export", out_dir / "package"):
            shutil.rmtree(folder, ignore_errors=True)
    if style not in ("unmistakable", "subtle"):
        raise typer.BadParameter("choose unmistakable or subtle", param_hint="--style")
    info = write_sample(out_dir, messages=messages, seed=seed, max_messages_per_file=partition, style=style)
    if json:
        print_json({
            "persona_id": info.persona_id, "persona_name": info.persona_name, "messages": info.messages,
            "persona_messages": info.persona_messages, "channel_messages": info.channel_messages,
            "export_files": [str(p) for p in info.export_files], "package_files": [str(p) for p in info.package_files],
            "media_files": len(info.media_files), "facts_file": str(info.facts_file),
        })
        return
    out = escape(str(out_dir.resolve()))
    console.print(
        f"Wrote {info.messages:,} messages in {len(info.channel_messages)} channels;"
        f" {info.persona_messages:,} are by the persona [bold]{info.persona_name}[/] (id {info.persona_id}).",
        soft_wrap=True,
    )
    console.print(
        f"  {escape(str(info.export_dir))}: {len(info.export_files)} DiscordChatExporter JSON files"
        f" (+{len(info.media_files)} attachment files)\n"
        f"  {escape(str(info.package_dir))}: {info.persona_name}'s own Discord data package\n"
        f"  {escape(str(info.facts_file))}: the facts she states and is asked about later (for recall tests)",
        soft_wrap=True,
    )
    console.print(
        "Next:\n"
        "  shizu init mika && cd mika\n"
        f"  shizu ingest '{out}/export' '{out}/package'   [dim]# the package tells Shizu who \"me\" is[/]\n"
        "  shizu stats && shizu build && shizu train --steps 50\n"
        "Her style is described in docs/sample-persona.md.",
        soft_wrap=True,
    )


@app.command()
def chat(
    workspace: WorkspaceOpt = None,
    run: Annotated[Optional[str], typer.Option("--run", help="Run under runs/ to chat with (default: the latest finished run).")] = None,
    base_only: Annotated[
        bool, typer.Option("--base-only", help="The base model without the adapter (to compare with the trained persona).")
    ] = False,
    server: Annotated[
        Optional[str], typer.Option("--server", help="URL of an OpenAI-compatible server to generate on (default: server in the \\[generation] section).")
    ] = None,
    speaker: Annotated[str, typer.Option("--as", help="Your name in the conversation (/as NAME changes it).")] = "Friend",
    place: Annotated[str, typer.Option("--place", help="Where the conversation happens: dm or #channel (a place of the terminal's own).")] = "dm",
    channel: Annotated[
        Optional[str], typer.Option("--channel", help="Chat as this channel, DM or group with memories (its id or name): recall what was said there.")
    ] = None,
    show_memory: Annotated[bool, typer.Option("--show-memory", help="Print the memories each reply recalled.")] = False,
    no_memory: NoMemoryOpt = False,
) -> None:
    """Chat with the persona in the terminal; with stdin from a file or pipe, one message per line."""
    require("shizu chat", "train")
    from shizu.frontends.terminal import find_channel, parse_place, run_chat
    from shizu.persona.runtime import Persona

    shown = parse_place(place)
    if shown is None:
        raise typer.BadParameter("use dm or #channel", param_hint="--place")
    ws = Workspace.find(workspace)
    ws.config
    interactive = sys.stdin.isatty()
    info = console if interactive else err_console
    persona = Persona.load(
        ws, run=run, base_only=base_only, server=server, memory=not no_memory,
        say=lambda line: info.print(line, style="dim", markup=False, soft_wrap=True),
    )
    where = None
    if channel is not None:
        where, shown = find_channel(persona, channel)
    run_chat(persona, console, info, lines=None if interactive else sys.stdin, speaker=speaker, place=shown, where=where, show_memory=show_memory)


@app.command()
def serve(
    workspace: WorkspaceOpt = None,
    host: Annotated[
        Optional[str], typer.Option("--host", help="Address to listen on (default: host in \\[serve], 127.0.0.1); 0.0.0.0 shares it on your network.")
    ] = None,
    port: Annotated[Optional[int], typer.Option("--port", min=0, max=65535, help="Port (default: port in \\[serve], 8642).")] = None,
    run: Annotated[
        Optional[list[str]], typer.Option("--run", help="Run under runs/ to serve (repeat for several; default: the latest finished run).")
    ] = None,
    base_only: Annotated[bool, typer.Option("--base-only", help="Serve the base model without the adapter (as model \"base\").")] = False,
    server: Annotated[
        Optional[str], typer.Option("--server", help="URL of an OpenAI-compatible server to generate on (default: server in the \\[generation] section).")
    ] = None,
    allow_no_key: Annotated[
        bool, typer.Option("--allow-no-key", help="Listen on a network address even though no API key is set.")
    ] = False,
    no_memory: NoMemoryOpt = False,
) -> None:
    """Serve the persona: an OpenAI-compatible API, a chat page, the collection and the blind test."""
    require("shizu serve", "serve", "train")
    from shizu.frontends.web.server import serve as run_server

    if base_only and run:
        raise typer.BadParameter("--base-only serves the base model alone; leave out --run", param_hint="--base-only")
    ws = Workspace.find(workspace)
    ws.config
    run_server(
        ws, host=host, port=port, runs=run or [], base_only=base_only, server=server, allow_no_key=allow_no_key, memory=not no_memory,
        say=lambda line: console.print(line, markup=False, soft_wrap=True),
    )


@app.command()
def export(
    workspace: WorkspaceOpt = None,
    run: Annotated[Optional[str], typer.Option("--run", help="Run under runs/ to export (default: the latest finished run).")] = None,
    gguf: Annotated[bool, typer.Option("--gguf", help="llama.cpp LoRA adapter (+ base GGUF when needed) and an Ollama Modelfile.")] = False,
    merged: Annotated[bool, typer.Option("--merged", help="The base with the adapter merged in, as a safetensors model folder.")] = False,
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Output folder (default: runs/NAME/gguf and runs/NAME/merged).")
    ] = None,
    base_precision: Annotated[
        str, typer.Option("--base-precision", help="q8_0, f16 or f32, when the base model must be written as GGUF too.")
    ] = "q8_0",
) -> None:
    """Export a trained run for llama.cpp and Ollama (--gguf) or as a merged model (--merged)."""
    require("shizu export", "train")
    from typing import cast, get_args

    from shizu.errors import PersonaError
    from shizu.export.gguf_base import Precision
    from shizu.export.pipeline import GGUF_DIR, MERGED_DIR, export_gguf, export_merged
    from shizu.persona.run import run_weights
    from shizu.runs import find_run

    if not (gguf or merged):
        raise typer.BadParameter("choose --gguf, --merged or both", param_hint="--gguf/--merged")
    if base_precision not in get_args(Precision):
        raise typer.BadParameter("use q8_0, f16 or f32", param_hint="--base-precision")
    ws = Workspace.find(workspace)
    config = ws.config

    def say(line: str) -> None:
        console.print(line, markup=False, soft_wrap=True)

    path = find_run(ws.runs_dir, run)
    if path is None:
        raise PersonaError(f"No trained run in {ws.runs_dir}", hint="Train one with `shizu train` first.")
    weights = run_weights(path, say=say)
    both = gguf and merged
    if gguf:
        folder = (out / GGUF_DIR if both else out) if out else path / GGUF_DIR
        export_gguf(weights, folder, generation=config.generation, precision=cast(Precision, base_precision), say=say)
    if merged:
        export_merged(weights, (out / MERGED_DIR if both else out) if out else path / MERGED_DIR, say=say)


@app.command(name="discord")
def discord_bot(
    workspace: WorkspaceOpt = None,
    run: Annotated[Optional[str], typer.Option("--run", help="Run under runs/ to answer with (default: the latest finished run).")] = None,
    base_only: Annotated[bool, typer.Option("--base-only", help="The base model without the adapter.")] = False,
    server: Annotated[
        Optional[str], typer.Option("--server", help="URL of an OpenAI-compatible server to generate on (default: server in the \\[generation] section).")
    ] = None,
    no_memory: NoMemoryOpt = False,
) -> None:
    """Run the persona as a Discord bot (token in $SHIZU_DISCORD_TOKEN; see docs/discord.md)."""
    require("shizu discord", "bot", "train")
    from shizu.frontends.discord.launch import run_discord, token_from_env
    from shizu.persona.runtime import Persona

    ws = Workspace.find(workspace)
    token = token_from_env(ws.config.discord.token_env)
    say = lambda line: err_console.print(line, style="dim", markup=False, soft_wrap=True)  # noqa: E731
    persona = Persona.load(ws, run=run, base_only=base_only, server=server, say=say, memory=not no_memory)
    run_discord(ws, persona, token, say)


collection_app = typer.Typer(help="The collection: the bot's replies people starred with a \N{WHITE MEDIUM STAR} reaction.", no_args_is_help=True)
app.add_typer(collection_app, name="collection")


@collection_app.command("export")
def collection_export(
    out: Annotated[Path, typer.Argument(help="The HTML file to write.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Write the collection as one web page that looks like Discord."""
    from rich.markup import escape

    from shizu.collection import export_gallery

    ws = Workspace.find(workspace)
    ws.config
    count = export_gallery(ws, out)
    console.print(f"Wrote {count} starred exchange(s) to [bold]{escape(str(out))}[/]")


memory_app = typer.Typer(help="The persona's memory: list and wipe what it remembers (docs/memory.md).", no_args_is_help=True)
app.add_typer(memory_app, name="memory")
PlaceOpt = Annotated[Optional[str], typer.Option("--place", help="Only this channel, DM or group (its id or name, as `shizu memory list` shows).")]
PersonOpt = Annotated[Optional[str], typer.Option("--person", help="Only the memories that answered this user id (`shizu stats` lists ids).")]


@memory_app.command("list")
def memory_list(workspace: WorkspaceOpt = None, place: PlaceOpt = None, person: PersonOpt = None, json: JsonOpt = False) -> None:
    """List the memories, oldest first: when, where, what was said."""
    from shizu.cli.memory_view import open_memory, print_memories

    ws = Workspace.find(workspace)
    with open_memory(ws) as memory:
        entries = memory.entries(memory.chosen(place=place, person=person))
        if json:
            print_json([memory.json(i, m) for i, m in entries])
        else:
            print_memories(console, entries, memory.persona, memory.tz)


@memory_app.command("forget")
def memory_forget(
    workspace: WorkspaceOpt = None,
    ids: Annotated[Optional[list[int]], typer.Option("--id", help="A memory's id (repeatable), as `shizu memory list` shows.")] = None,
    place: PlaceOpt = None,
    person: PersonOpt = None,
    everything: Annotated[bool, typer.Option("--all", help="Every memory.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete memories for good: by --id, --place, --person (together: those matching all), or --all."""
    from shizu.cli.memory_view import open_memory

    if everything == bool(ids or place or person):
        raise typer.BadParameter("choose --id, --place and/or --person, or --all alone", param_hint="--id/--place/--person/--all")
    ws = Workspace.find(workspace)
    with open_memory(ws) as memory:
        chosen = memory.index.select() if everything else memory.chosen(place=place, person=person, ids=ids)
        if not chosen:
            console.print("No memory matches: nothing to forget.")
            return
        if not yes and not typer.confirm(f"Forget {len(chosen)} memor{'y' if len(chosen) == 1 else 'ies'} for good?"):
            raise typer.Exit(1)
        forgotten = memory.index.forget_all() if everything else memory.index.forget(chosen)
    console.print(f"Forgot {forgotten} memor{'y' if forgotten == 1 else 'ies'}.")


feedback_app = typer.Typer(help="Feedback on the persona's replies: list, export and delete it (docs/feedback.md).", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")
SourceOpt = Annotated[Optional[str], typer.Option("--source", help="Only from this source: discord-reaction, web, reroll or blind-test.")]
GiverOpt = Annotated[Optional[str], typer.Option("--giver", help="Only what this person gave: a Discord user id, or web: and a page's voter id.")]


@feedback_app.command("list")
def feedback_list(workspace: WorkspaceOpt = None, source: SourceOpt = None, giver: GiverOpt = None, json: JsonOpt = False) -> None:
    """List the feedback, oldest first: who judged which reply, and how."""
    from zoneinfo import ZoneInfo

    from shizu.cli.feedback_view import item_json, open_feedback, print_feedback, source_of

    ws = Workspace.find(workspace)
    with open_feedback(ws) as table:
        items = table.items(source=source_of(source), giver=giver)
    if json:
        print_json([item_json(item) for item in items])
    else:
        print_feedback(console, items, ZoneInfo(ws.config.build.timezone))


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Optional[Path], typer.Argument(help="The JSON Lines file to write (default: standard output).")] = None,
    workspace: WorkspaceOpt = None,
    source: SourceOpt = None,
    giver: GiverOpt = None,
) -> None:
    """Write the feedback as JSON Lines, each with the conversation answered and the reply judged."""
    from rich.markup import escape

    from shizu.cli.feedback_view import export_lines, open_feedback, source_of

    ws = Workspace.find(workspace)
    with open_feedback(ws) as table:
        items = table.items(source=source_of(source), giver=giver)
    if out is None:
        sys.stdout.write(export_lines(items))
        return
    out.write_text(export_lines(items), encoding="utf-8")
    console.print(f"Wrote {len(items)} feedback item{'' if len(items) == 1 else 's'} to [bold]{escape(str(out))}[/]")


@feedback_app.command("forget")
def feedback_forget(
    workspace: WorkspaceOpt = None,
    ids: Annotated[Optional[list[int]], typer.Option("--id", help="A feedback item's id (repeatable), as `shizu feedback list` shows.")] = None,
    giver: GiverOpt = None,
    everything: Annotated[bool, typer.Option("--all", help="All feedback.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete feedback for good: by --id, everything one --giver gave, or --all."""
    from shizu.cli.feedback_view import open_feedback, require_known

    if sum((bool(ids), giver is not None, everything)) != 1:
        raise typer.BadParameter("choose one of --id, --giver or --all", param_hint="--id/--giver/--all")
    ws = Workspace.find(workspace)
    with open_feedback(ws) as table:
        if ids:
            require_known(table, ids)
        count = len(set(ids)) if ids else table.count(giver)
        if not count:
            console.print("No feedback matches: nothing to forget.")
            return
        if not yes and not typer.confirm(f"Forget {count} feedback item{'' if count == 1 else 's'} for good?"):
            raise typer.Exit(1)
        forgotten = table.forget(ids) if ids else table.forget_giver(giver) if giver is not None else table.forget_all()
    console.print(f"Forgot {forgotten} feedback item{'' if forgotten == 1 else 's'}.")


@app.command(name="eval")
def eval_command(
    workspace: WorkspaceOpt = None,
    run: Annotated[
        Optional[list[str]], typer.Option("--run", metavar="NAME", help="A trained run under runs/ to compare (repeatable; default: the latest finished run).")
    ] = None,
    base: Annotated[bool, typer.Option("--base/--no-base", help="Include the base model without adapter.")] = True,
    server: Annotated[
        Optional[list[str]], typer.Option("--server", metavar="URL", help="Also compare an OpenAI-compatible server at this URL (repeatable).")
    ] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only N held-out turns, evenly spread (quick runs).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Sampling seed of the local models (same seed, same replies).")] = 0,
    backend: Annotated[
        str, typer.Option("--backend", help="What generates the replies: auto (llama.cpp on a CPU when installed and seen to run, else transformers), transformers or llama.cpp.")
    ] = "auto",
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for report.json / report.html (default: reports/eval/).")] = None,
    html: Annotated[bool, typer.Option("--html", help="Also write report.html with distribution plots and example exchanges.")] = False,
    facts: Annotated[
        Optional[Path], typer.Option("--facts", help="A facts file for fact recall (the facts.json `shizu sample` writes); default: answers the person repeated.")
    ] = None,
    no_memory: Annotated[bool, typer.Option("--no-memory", help="Show no system the memories (to compare with the memory on; docs/memory.md).")] = False,
    json: JsonOpt = False,
) -> None:
    """Compare the persona's real held-out replies with the base model's and each run's, side by side."""
    require("shizu eval", "eval", "train")
    from rich.markup import escape

    from shizu.cli.eval_view import print_table, run_eval
    from shizu.eval.evaluate import EvalOptions

    ws = Workspace.find(workspace)
    ws.config
    if backend not in ("auto", "transformers", "llama.cpp"):
        raise typer.BadParameter("choose auto, transformers or llama.cpp", param_hint="--backend")
    options = EvalOptions(runs=tuple(run or ()), base=base, servers=tuple(server or ()), limit=limit, seed=seed, backend=backend, facts=facts, memory=not no_memory,
    )
    shown = err_console if json else console
    report, folder = run_eval(ws, options, shown, out_dir=out, html=html)
    if json:
        print_json(report)
    else:
        print_table(console, report)
    shown.print(f"Report: {escape(str(folder / ('report.html' if html else 'report.json')))}")


@app.command()
def doctor(
    check: Annotated[bool, typer.Option("--check", help="Run the llama.cpp check now (on the embedded base model), even if a verdict is cached.")] = False,
) -> None:
    """What this machine can run: the llama.cpp verdict for this CPU and build."""
    from shizu.persona.backends.llamacpp_check import cached_verdict, verdict_path
    from shizu.persona.backends.llamacpp_check import check as check_llama_cpp
    from shizu.train.base_model import cache_root, embedded_gguf

    cache = cache_root()
    verdict = check_llama_cpp(embedded_gguf(), None, cache, recheck=True, say=lambda line: console.print(line, markup=False)) if check else cached_verdict(cache)
    console.print(f"llama.cpp verdict file: {verdict_path(cache)}", markup=False, soft_wrap=True)
    if verdict is None:
        console.print("llama.cpp: not checked on this CPU yet (checked on first use, or now with `shizu doctor --check`)", markup=False, soft_wrap=True)
    elif verdict.ok:
        console.print(f"llama.cpp: runs on this CPU (llama-cpp-python {verdict.llama_cpp_python}, checked {verdict.checked_at})", markup=False, soft_wrap=True)
    else:
        console.print(f"llama.cpp: {verdict.fallback_line()} (checked {verdict.checked_at})", markup=False, soft_wrap=True)


def main() -> None:
    """Entry point: click handles usage errors and exit codes; Shizu's own errors become short messages."""
    try:
        app()
    except ShizuError as exc:
        from rich.markup import escape

        err_console.print(f"[bold red]Error:[/] {escape(exc.message)}")
        if exc.hint:
            err_console.print(f"[yellow]Fix:[/] {escape(exc.hint)}")
        sys.exit(1)
