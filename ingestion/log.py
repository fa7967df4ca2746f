"""Structured step logs: one line per step saying what, how many and how long, on stderr."""

from __future__ import annotations

from rich.console import Console

console = Console(stderr=True, highlight=False, soft_wrap=True)


def step(what: str, seconds: float | None = None, **counts: object) -> None:
    """Print `impact: <what> key=value ... (1.23 s)` on one line."""
    fields = " ".join(f"{key}={value}" for key, value in counts.items())
    took = f" ({seconds:.2f} s)" if seconds is not None else ""
    console.print(f"[bold]impact[/]: {what} {fields}{took}".rstrip())


def warn(message: str) -> None:
    console.print(f"[yellow]impact: warning:[/] {message}")
