"""The CLI's progress bar / Ctrl-C adapter for Monte Carlo runs (calib/commands/progress.py)."""

from __future__ import annotations

import signal

import numpy as np
import pytest

from calib.commands.progress import monte_carlo_progress
from uncertainty.distributions import Normal
from uncertainty.montecarlo import CHUNK_SIZE, MonteCarloCancelled, run_monte_carlo


def test_progress_bar_runs_and_restores_the_signal_handler() -> None:
    before = signal.getsignal(signal.SIGINT)
    with monte_carlo_progress(force=True) as (progress, cancel):
        assert progress is not None
        out = run_monte_carlo(
            lambda x: {"y": x["a"]},
            {"a": Normal(0.0, 1.0)},
            outputs=["y"],
            trials=2 * CHUNK_SIZE,
            rng=np.random.default_rng(0),
            progress=progress,
            cancel=cancel,
        )
    assert out["y"].trials == 2 * CHUNK_SIZE
    assert signal.getsignal(signal.SIGINT) is before


def test_first_ctrl_c_cancels_between_chunks() -> None:
    with monte_carlo_progress(enabled=False) as (progress, cancel):
        assert progress is None

        def interrupt_after_first_chunk(done: int, total: int) -> None:
            if done == CHUNK_SIZE:
                signal.raise_signal(signal.SIGINT)

        with pytest.raises(MonteCarloCancelled, match=f"after {CHUNK_SIZE} of"):
            run_monte_carlo(
                lambda x: {"y": x["a"]},
                {"a": Normal(0.0, 1.0)},
                outputs=["y"],
                trials=5 * CHUNK_SIZE,
                rng=np.random.default_rng(0),
                progress=interrupt_after_first_chunk,
                cancel=cancel,
            )
