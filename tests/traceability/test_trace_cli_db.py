"""`calib trace` on the database: `import`, and check / impact / interval without a FILE.

The database mode prints the same documents (and exit codes) as the file mode for the
same register (CONTRACTS section 4).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_trace_service_db import rich_register
from trace_helpers import cert
from typer.testing import CliRunner

from calib.cli import app

runner = CliRunner()


def _write(tmp_path: Path, doc: dict[str, Any], name: str = "register.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{(tmp_path / 'cli.sqlite').as_posix()}"
    monkeypatch.setenv("CALIB_DATABASE_URL", url)
    return url


def test_database_mode_prints_the_file_mode_documents(tmp_path: Path, database: str) -> None:
    path = _write(tmp_path, rich_register())
    imported = runner.invoke(app, ["trace", "import", path, "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["imported"]["certificates"] == 9
    for args in (
        ["check", "--as-of", "2024-07-01", "--json"],
        ["check", "--as-of", "2024-07-01"],
        ["check", "--as-of", "2023-06-01", "--json"],
        ["impact", "--instrument", "CAL-2", "--found-on", "2024-06-10", "--json"],
        ["impact", "--instrument", "CAL-2", "--found-on", "2024-06-10", "--max-depth", "1"],
        ["interval", "--instrument", "DMM-4", "--json"],
    ):
        from_file = runner.invoke(app, ["trace", args[0], path, *args[1:]])
        extra = ["--no-record"] if args[0] == "impact" else []
        from_db = runner.invoke(app, ["trace", *args, *extra])
        assert from_db.exit_code == from_file.exit_code, from_db.output
        assert from_db.stdout == from_file.stdout
    recorded = runner.invoke(
        app, ["trace", "impact", "--instrument", "CAL-2", "--found-on", "2024-06-10", "--json"]
    )
    assert recorded.exit_code == 0
    rows = [r for r in json.loads(recorded.stdout)["affected"] if r["impacted"]]
    assert rows and all(r["nonconformity"].startswith("NC-2024-") for r in rows)
    unknown = runner.invoke(app, ["trace", "interval", "--instrument", "NOPE"])
    assert unknown.exit_code == 2 and "--instrument" in unknown.output


def test_import_with_an_error_exits_2_and_stores_nothing(tmp_path: Path, database: str) -> None:
    doc = rich_register()
    cert(doc, "C-010")["points"][0]["coverage_factor"] = 0
    result = runner.invoke(app, ["trace", "import", _write(tmp_path, doc)])
    assert result.exit_code == 2
    assert "certificates[C-010].points[0].coverage_factor" in result.output
    empty = runner.invoke(app, ["trace", "check", "--as-of", "2024-07-01", "--json"])
    assert empty.exit_code == 0
    assert json.loads(empty.stdout)["certificates"] == []
