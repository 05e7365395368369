"""Progress bar and Ctrl-C cancellation for long Monte Carlo runs in the CLI.

The engines do no I/O: :func:`uncertainty.montecarlo.run_monte_carlo` (and
``uncertainty.budget.evaluate_budget``) take ``progress(done, total)`` and ``cancel()``
callbacks. :func:`monte_carlo_progress` provides both for a command::

    with monte_carlo_progress(enabled=monte_carlo) as (progress, cancel):
        result = evaluate_budget(doc, progress=progress, cancel=cancel)

The bar is drawn on standard error (standard output stays clean JSON), only when standard
error is a terminal, and disappears when the run ends. The first Ctrl-C asks the engine to
stop between chunks (it raises ``MonteCarloCancelled``); a second one interrupts at once.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["monte_carlo_progress"]

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]


@contextmanager
def monte_carlo_progress(
    *, enabled: bool = True, description: str = "Monte Carlo", force: bool = False
) -> Iterator[tuple[ProgressCallback | None, CancelCallback]]:
    """Yield ``(progress, cancel)`` callbacks for a Monte Carlo run.

    Parameters
    ----------
    enabled:
        ``False`` yields ``(None, cancel)``: no bar, Ctrl-C still cancels cleanly.
    description:
        Label in front of the bar.
    force:
        Draw the bar even when standard error is not a terminal (tests).
    """
    requested = threading.Event()
    previous: Callable[[int, FrameType | None], object] | int | None = None
    in_main = threading.current_thread() is threading.main_thread()

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()

    if in_main:
        previous = signal.signal(signal.SIGINT, on_interrupt)

    def cancel() -> bool:
        return requested.is_set()

    show = enabled and (force or sys.stderr.isatty())
    try:
        if not show:
            yield None, cancel
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(description, total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            yield progress, cancel
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGINT, previous)
