"""The terminal both command-line entry points write to: `igf-rag` (rag.cli) and the eval tools (eval/)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    # Messages quote file names and transcript lines: escaped, so "[/]" or "[link=...]" in them is shown, not obeyed.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)
