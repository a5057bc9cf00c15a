"""The ``shizu`` command: a thin layer over the library.

Library code raises :class:`shizu.errors.ShizuError`; only here is it turned into a message and an
exit code. Heavy imports stay inside the commands so ``shizu --help`` is instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from shizu.errors import ShizuError
from shizu.workspace import Workspace

app = typer.Typer(
    name="shizu",
    help="Turn your own chat history into a chatbot that talks like you, on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

WorkspaceOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--workspace", "-w", help="Workspace folder (default: $SHIZU_WORKSPACE or the current directory).",
        envvar="SHIZU_WORKSPACE", show_envvar=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON summary instead.")]


def print_json(data: object) -> None:
    import msgspec

    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data)).decode() + "\n")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
    me: Annotated[Optional[list[str]], typer.Option("--me", help="Your own user id (repeat for several).")] = None,
    name: Annotated[str, typer.Option("--name", help="The persona's name in prompts.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing shizu.toml.")] = False,
) -> None:
    """Create a workspace: a folder with a commented shizu.toml."""
    ws = Workspace.create(directory, name=name, me=me or [], force=force)
    ws.config  # validate what we wrote, e.g. ids given with --me
    console.print(f"Created [bold]{ws.config_path}[/]")
    console.print("Next: [bold]shizu ingest PATH...[/] with your exports, then [bold]shizu stats[/].")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Export files, folders or zip archives.")],
    workspace: WorkspaceOpt = None,
    json: JsonOpt = False,
) -> None:
    """Read exports into the workspace's message store (re-ingesting adds only what is new)."""
    from shizu.ingest.cli_view import run_ingest

    ws = Workspace.find(workspace)
    ws.config
    ok = run_ingest(ws, paths, console=err_console if json else console, as_json=json)
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

    from shizu.ingest.stats import summarize
    from shizu.ingest.stats_report import print_stats, write_report
    from shizu.workspace import me_ids

    ws = Workspace.find(workspace)
    with ws.open_store() as store:
        summary = summarize(store, me_ids(ws, store), store.account_ids())
        report = write_report(store, summary, ws.reports_dir / "stats") if html else None
    if json:
        print_json(summary)
    else:
        print_stats(console, summary, ws.config_path)
    if report is not None:
        (err_console if json else console).print(f"Report: {escape(str(report))}")


def main() -> None:
    """Entry point: run the app, turning Shizu's own errors into short messages."""
    try:
        app(standalone_mode=False)
    except ShizuError as exc:
        err_console.print(f"[bold red]Error:[/] {exc.message}")
        if exc.hint:
            err_console.print(f"[yellow]Fix:[/] {exc.hint}")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("Aborted.")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
