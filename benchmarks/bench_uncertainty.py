"""Uncertainty benchmarks: calib against its peers, side by side, from one run.

Run from the repository root (the peers are the ``bench`` extra:
``.venv/bin/pip install gtc metrolopy suncal``)::

    .venv/bin/python benchmarks/bench_uncertainty.py            # everything
    .venv/bin/python benchmarks/bench_uncertainty.py c e        # some sections

Sections (issue 3, "Speed"):

(a) 10,000 unit-aware budgets of one 5-input model: calib's compiled array API vs a loop of
    plain ``uncertainties`` (no units) and of pint + uncertainties.
(b) GUF of one budget with 100 inputs: calib vs ``uncertainties`` and GTC.
(c) MCM, M = 10⁶, 10 inputs (mean, u, symmetric and shortest 95 % intervals): calib vs the
    bare numpy floor (draw + evaluate + sort + the same statistics), suncal and metrolopy,
    with peak memory above the interpreter's baseline; and calib at M = 10⁷.
(d) whole-process ``calib budget evaluate`` (no MCM) vs
    ``python -c "import numpy, scipy.stats, pint"``.
(e) adaptive MCM (JCGM 101 7.9) on the JCGM 101 9.3 mass calibration: trials and time.

Every contender of (c) runs in its own subprocess so that peak memory (VmHWM after a
reset through /proc/self/clear_refs, minus VmRSS before the run) is its own. Times are
medians of a few repeats of the **CPU time** of the process (``time.process_time``; for
(d) the CPU time of the child processes, from ``getrusage``), which a shared, loaded
machine inflates far less than wall-clock time; ratios are against the first row of each
table. ``--wall`` measures wall-clock time instead.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

M_DEFAULT = 10**6
P = 0.95
CLOCK: Callable[[], float] = time.process_time


# --------------------------------------------------------------------------- helpers
def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def median_time(func: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = CLOCK()
        func()
        times.append(CLOCK() - start)
    return statistics.median(times)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_process_time(command: list[str], repeats: int) -> float:
    """Median CPU time (user + system) of ``command`` run as a child process."""
    times = []
    for _ in range(repeats):
        before = _children_cpu() if CLOCK is time.process_time else time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        after = _children_cpu() if CLOCK is time.process_time else time.perf_counter()
        times.append(after - before)
    return statistics.median(times)


def table(title: str, rows: list[tuple[str, float, str]]) -> None:
    print(f"\n{title}")
    base = rows[0][1] if rows and math.isfinite(rows[0][1]) else math.nan
    print(f"  {'contender':<44}{'median':>12}{'ratio':>9}  note")
    for name, seconds, note in rows:
        ratio = seconds / base if base and math.isfinite(seconds) else math.nan
        shown = f"{seconds * 1e3:10.2f} ms" if math.isfinite(seconds) else f"{'n/a':>13}"
        print(f"  {name:<44}{shown:>12}{ratio:>9.2f}  {note}")


def not_available(what: str, exc: BaseException) -> tuple[str, float, str]:
    return (what, math.nan, f"not available yet ({type(exc).__name__}: {exc})")


# --------------------------------------------------------------------------- (c) MCM
MEANS = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
SDS = [0.1, 0.2, 0.1, 0.3, 0.1, 0.2, 0.1, 0.05]
RECT = (2.0, 0.1)  # x8: rectangular, centre and half-width
X9 = (1.5, 0.05)  # x9: normal
EXPRESSION = "x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8*x9"


def _summary(y: Any, p: float) -> tuple[float, float, float, float, float, float]:
    import numpy as np

    m = y.size
    q = math.floor(p * m + 0.5)
    r = math.floor((m - q) / 2 + 0.5) if (m - q) % 2 else (m - q) // 2
    i = int(np.argmin(y[q:] - y[:-q]))
    return (
        float(y.mean()),
        float(y.std(ddof=1)),
        float(y[r - 1]),
        float(y[r + q - 1]),
        float(y[i]),
        float(y[i + q]),
    )


def mcm_floor(m: int) -> object:
    import numpy as np

    rng = np.random.default_rng(1)
    x = [rng.normal(mu, sd, m) for mu, sd in zip(MEANS, SDS, strict=True)]
    x8 = rng.uniform(RECT[0] - RECT[1], RECT[0] + RECT[1], m)
    x9 = rng.normal(X9[0], X9[1], m)
    y = x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7] + x8 * x9
    return _summary(np.sort(y), P)


def mcm_calib(m: int) -> object:
    import numpy as np

    from uncertainty.distributions import Normal, Rectangular
    from uncertainty.montecarlo import run_monte_carlo

    inputs: dict[str, Any] = {
        f"x{i}": Normal(mu, sd) for i, (mu, sd) in enumerate(zip(MEANS, SDS, strict=True))
    }
    inputs["x8"] = Rectangular(*RECT)
    inputs["x9"] = Normal(*X9)

    def model(x: Any) -> dict[str, Any]:
        y = x["x0"] + x["x1"]
        for name in ("x2", "x3", "x4", "x5", "x6", "x7"):
            y += x[name]
        y += x["x8"] * x["x9"]
        return {"y": y}

    out = run_monte_carlo(
        model,
        inputs,
        outputs=["y"],
        trials=m,
        rng=np.random.default_rng(1),
        coverage_probability=P,
    )["y"]
    return out.mean, out.standard_uncertainty, out.interval, out.shortest_interval


def mcm_suncal(m: int) -> object:
    from suncal import Model

    model = Model(f"f = {EXPRESSION}")
    for i, (mu, sd) in enumerate(zip(MEANS, SDS, strict=True)):
        model.var(f"x{i}").measure(mu).typeb(dist="normal", std=sd)
    model.var("x8").measure(RECT[0]).typeb(dist="uniform", a=RECT[1])
    model.var("x9").measure(X9[0]).typeb(dist="normal", std=X9[1])
    result = model.monte_carlo(samples=m)
    return (
        result.expected,
        result.uncertainty,
        result.expand(conf=P),
        result.expand(conf=P, shortest=True),
    )


def mcm_metrolopy(m: int) -> object:
    import metrolopy as uc

    x = [uc.gummy(mu, sd) for mu, sd in zip(MEANS, SDS, strict=True)]
    x8 = uc.gummy(uc.UniformDist(center=RECT[0], half_width=RECT[1]))
    x9 = uc.gummy(X9[0], X9[1])
    y = x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7] + x8 * x9
    uc.gummy.simulate([y], n=m)
    y.p = P
    y.cimethod = "symmetric"
    symmetric = y.cisim
    y.cimethod = "shortest"
    return y.xsim, y.usim, symmetric, y.cisim


MCM_CONTENDERS: dict[str, Callable[[int], object]] = {
    "floor": mcm_floor,
    "calib": mcm_calib,
    "suncal": mcm_suncal,
    "metrolopy": mcm_metrolopy,
}


def run_one_mcm(name: str, m: int, repeats: int) -> dict[str, Any]:
    """Body of a (c) subprocess: time ``repeats`` runs and measure the peak memory."""
    func = MCM_CONTENDERS[name]
    func(10**4)  # imports and first-call costs outside the measurement
    baseline = _status_kib("VmRSS")
    _reset_peak()
    seconds = median_time(lambda: func(m), repeats)
    peak = _status_kib("VmHWM") - baseline
    return {"seconds": seconds, "peak_mib": peak / 1024.0}


def section_c(repeats: int = 5) -> None:
    rows: list[tuple[str, float, str]] = []
    runs = [("floor", M_DEFAULT), ("calib", M_DEFAULT), ("suncal", M_DEFAULT)]
    runs += [("metrolopy", M_DEFAULT), ("calib", 10 * M_DEFAULT)]
    for name, m in runs:
        label = f"{name} M={m:.0e}"
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--mcm-one",
                name,
                str(m),
                str(repeats if m <= M_DEFAULT else 1),
                *(["--wall"] if CLOCK is time.perf_counter else []),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            rows.append((label, math.nan, f"failed: {last}"))
            continue
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append((label, data["seconds"], f"peak {data['peak_mib']:.0f} MiB above baseline"))
    table("(c) MCM, 10 inputs, mean + u + symmetric + shortest 95 % intervals", rows)


# --------------------------------------------------------------------------- (e) adaptive
def section_e() -> None:
    import numpy as np

    from uncertainty.distributions import Normal, Rectangular
    from uncertainty.montecarlo import run_adaptive

    inputs = {
        "m_rc": Normal(100_000.000, 0.050),
        "dm_rc": Normal(1.234, 0.020),
        "rho_a": Rectangular(1.20, 0.10),
        "rho_w": Rectangular(8.0e3, 1.0e3),
        "rho_r": Rectangular(8.00e3, 0.05e3),
    }

    def model(x: Any) -> dict[str, Any]:
        buoyancy = 1.0 + (x["rho_a"] - 1.2) * (1.0 / x["rho_w"] - 1.0 / x["rho_r"])
        return {"dm": (x["m_rc"] + x["dm_rc"]) * buoyancy - 100_000.0}

    print("\n(e) adaptive MCM (JCGM 101 7.9) on JCGM 101 9.3, p = 0.95")
    print(
        f"  {'ndig':>5}{'seed':>6}{'trials':>11}{'batches':>9}{'time':>11}{'u(dm) / mg':>13}  interval / mg"
    )
    for digits in (1, 2):
        for seed in (1, 2, 3):
            start = CLOCK()
            out = run_adaptive(
                model,
                inputs,
                outputs=["dm"],
                rng=np.random.default_rng(seed),
                coverage_probability=0.95,
                significant_digits=digits,
            )["dm"]
            seconds = CLOCK() - start
            print(
                f"  {digits:>5}{seed:>6}{out.trials:>11}{out.batches:>9}{seconds * 1e3:>8.0f} ms"
                f"{out.standard_uncertainty:>13.5f}  [{out.interval[0]:.4f}, {out.interval[1]:.4f}]"
            )


# --------------------------------------------------------------------------- (a) many budgets
FIVE_INPUT = {
    "name": "Power from voltage and resistance",
    "model": "P = V**2 / R * (1 + alpha * dT) + dP",
    "outputs": {"P": {"unit": "W"}},
    "inputs": {
        "V": {"value": 10.0, "unit": "V", "standard_uncertainty": 0.001},
        "R": {"value": 100.0, "unit": "ohm", "standard_uncertainty": 0.01},
        "alpha": {"value": 4e-3, "unit": "1/K", "standard_uncertainty": 1e-4},
        "dT": {"value": 0.5, "unit": "K", "distribution": "rectangular", "half_width": 0.2},
        "dP": {"value": 0.0, "unit": "W", "standard_uncertainty": 1e-4},
    },
}


def section_a(n: int = 10_000) -> None:
    import numpy as np
    from uncertainties import ufloat

    rng = np.random.default_rng(0)
    volts = 10.0 + rng.normal(0, 0.5, n)
    u_dt = 0.2 / math.sqrt(3.0)
    rows: list[tuple[str, float, str]] = []

    def plain() -> None:
        for v in volts:
            p = ufloat(v, 0.001) ** 2 / ufloat(100.0, 0.01) * (
                1 + ufloat(4e-3, 1e-4) * ufloat(0.5, u_dt)
            ) + ufloat(0.0, 1e-4)
            p.std_dev  # noqa: B018
            p.error_components()

    rows.append(("uncertainties loop (no units)", median_time(plain, 3), f"{n} budgets"))

    try:
        import pint

        ureg = pint.UnitRegistry()

        def with_units() -> None:
            for v in volts:
                q = ureg.Quantity
                p = q(ufloat(v, 0.001), "V") ** 2 / q(ufloat(100.0, 0.01), "ohm") * (
                    1 + q(ufloat(4e-3, 1e-4), "1/K") * q(ufloat(0.5, u_dt), "K")
                ) + q(ufloat(0.0, 1e-4), "W")
                p.to("W").magnitude.std_dev  # noqa: B018

        rows.append(("pint + uncertainties loop", median_time(with_units, 1), f"{n} budgets"))
    except Exception as exc:  # pragma: no cover - peer missing
        rows.append(not_available("pint + uncertainties loop", exc))

    try:
        from uncertainty.budget import compile_budget, evaluate_many

        def ours() -> None:
            budget = compile_budget(FIVE_INPUT)
            evaluate_many(budget, {"V": volts}, {})

        rows.append(
            ("calib compile_budget + evaluate_many (units)", median_time(ours, 5), f"{n} budgets")
        )
    except Exception as exc:
        rows.append(not_available("calib evaluate_many", exc))
    table("(a) 10,000 budgets of one 5-input model (ratios vs plain uncertainties)", rows)


# --------------------------------------------------------------------------- (b) 100 inputs
def hundred_input_document() -> dict[str, Any]:
    names = [f"x{i}" for i in range(100)]
    terms = [f"{names[i]}*{names[i + 1]}" for i in range(0, 100, 2)]
    return {
        "name": "100 inputs",
        "model": "y = " + " + ".join(terms),
        "inputs": {
            name: {"value": 1.0 + 0.01 * i, "unit": "", "standard_uncertainty": 0.01, "dof": 10 + i}
            for i, name in enumerate(names)
        },
    }


def section_b(repeats: int = 50) -> None:
    from uncertainties import ufloat

    doc = hundred_input_document()
    values = [(spec["value"], spec["standard_uncertainty"]) for spec in doc["inputs"].values()]
    rows: list[tuple[str, float, str]] = []

    def plain() -> None:
        x = [ufloat(v, u) for v, u in values]
        y = sum(x[i] * x[i + 1] for i in range(0, 100, 2))
        y.std_dev  # noqa: B018
        y.error_components()

    plain()
    rows.append(("uncertainties", median_time(plain, repeats), "value, u, components"))
    try:
        import GTC

        def gtc() -> None:
            x = [GTC.ureal(v, u, df) for (v, u), df in zip(values, range(10, 110), strict=True)]
            y = sum(x[i] * x[i + 1] for i in range(0, 100, 2))
            GTC.uncertainty(y)
            GTC.dof(y)

        gtc()
        rows.append(("GTC", median_time(gtc, repeats), "value, u, dof"))
    except Exception as exc:  # pragma: no cover
        rows.append(not_available("GTC", exc))
    try:
        from uncertainty.budget import (
            clear_model_cache,
            compile_budget,
            evaluate_budget,
            evaluate_many,
        )
        from uncertainty.inputs import clear_input_cache

        compiled = compile_budget(doc)
        evaluate_many(compiled, {}, {})
        rows.append(
            (
                "calib evaluate_many, compiled budget",
                median_time(lambda: evaluate_many(compiled, {}, {}), repeats),
                "GUF: value, c_i, u, ν_eff, k, U",
            )
        )
        evaluate_budget(doc)
        rows.append(
            (
                "calib evaluate_budget, same document again",
                median_time(lambda: evaluate_budget(doc), repeats),
                "document -> result (model and inputs remembered)",
            )
        )

        def new_values() -> None:
            clear_input_cache()
            evaluate_budget(doc)

        rows.append(
            (
                "calib evaluate_budget, new input values",
                median_time(new_values, repeats),
                "document -> result (model remembered)",
            )
        )

        def cold() -> None:
            clear_model_cache()
            evaluate_budget(doc)

        rows.append(
            (
                "calib evaluate_budget, new model",
                median_time(cold, repeats),
                "document -> result: parse, units, compile, GUF",
            )
        )
    except Exception as exc:
        rows.append(not_available("calib", exc))
    table("(b) GUF of one budget with 100 inputs (ratios vs uncertainties)", rows)


# --------------------------------------------------------------------------- (d) process
def section_d(repeats: int = 7) -> None:
    calib = Path(sys.executable).parent / "calib"
    rows: list[tuple[str, float, str]] = []
    baseline = [sys.executable, "-c", "import numpy, scipy.stats, pint"]
    rows.append(
        (
            "python -c 'import numpy, scipy.stats, pint'",
            median_process_time(baseline, repeats),
            "",
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "budget.json"
        path.write_text(json.dumps(FIVE_INPUT))
        command = [str(calib), "budget", "evaluate", str(path), "--json"]
        probe = subprocess.run(command, capture_output=True, text=True)
        if probe.returncode != 0:
            rows.append(
                (
                    "calib budget evaluate --json",
                    math.nan,
                    f"not available yet: {probe.stderr.strip()[:80]}",
                )
            )
        else:
            rows.append(
                (
                    "calib budget evaluate --json",
                    median_process_time(command, repeats),
                    "5-input budget, no MCM",
                )
            )
    table("(d) whole process, cold start (ratio vs the import floor)", rows)


def versions() -> str:
    import platform

    parts = [f"Python {platform.python_version()}", platform.machine(), f"{os.cpu_count()} CPUs"]
    for module in ("numpy", "scipy", "pint", "uncertainties", "GTC", "metrolopy", "suncal"):
        try:
            mod = __import__(module)
            parts.append(f"{module} {getattr(mod, '__version__', getattr(mod, 'version', '?'))}")
        except Exception:
            parts.append(f"{module} missing")
    return ", ".join(parts)


SECTIONS: dict[str, Callable[[], None]] = {
    "a": section_a,
    "b": section_b,
    "c": section_c,
    "d": section_d,
    "e": section_e,
}


def main(argv: list[str]) -> None:
    global CLOCK
    if "--wall" in argv:
        argv = [a for a in argv if a != "--wall"]
        CLOCK = time.perf_counter
    if argv[:1] == ["--mcm-one"]:
        print(json.dumps(run_one_mcm(argv[1], int(argv[2]), int(argv[3]))))
        return
    print(versions())
    print(f"clock: {CLOCK.__name__}; load average: {Path('/proc/loadavg').read_text().strip()}")
    for key in argv or list(SECTIONS):
        SECTIONS[key]()


if __name__ == "__main__":
    main(sys.argv[1:])
