"""The evidence pack from the database (CONTRACTS.md section 6).

:func:`build_pack` computes every requirement's status
(:func:`calib.assessment.status.requirement_statuses`), resolves the records
behind each one (``"<table>:<id>"`` references -> their audited column values),
writes ``evidence/<REQUIREMENT>.json`` plus CSV series (check-standard
measurements, the environment trace around each excursion), the findings, the
rendered certificates with the scope consistency report and the certification
cycle, builds ``report.pdf`` and writes the ZIP with its SHA-256 manifest
(:func:`calib.assessment.write_pack`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from calib.assessment.catalogue import Catalogue, RequirementStatus, load_catalogue
from calib.assessment.charts import environment_trace_png
from calib.assessment.pack import ManifestDocument, ManifestRequirement, write_pack
from calib.assessment.records import (
    CheckStandard,
    EnvironmentLimitRecord,
    ExcursionRecord,
    ImpactAssessment,
    JobLocation,
    Room,
)
from calib.assessment.report_pdf import ReportSection, build_report_pdf
from calib.assessment.spc import IndividualsChart
from calib.assessment.status import requirement_statuses
from calib.audit import audited_models, canonical_json, record_state
from calib.permissions import Actor, Permission, require
from calib.records import Lab, Site

__all__ = ["build_pack", "pack_bytes", "resolve_evidence"]

_MAX_TRACES = 3


def resolve_evidence(session: Session, refs: Sequence[str]) -> dict[str, dict[str, Any] | None]:
    """``{"job:12": {...columns...}}`` for each ``table:id`` reference (None if unknown)."""
    models = audited_models()
    out: dict[str, dict[str, Any] | None] = {}
    for ref in refs:
        table, _, key = ref.partition(":")
        model = models.get(table)
        row = None
        if model is not None and key.isdigit():
            row = session.get(model, int(key))
        out[ref] = None if row is None else record_state(row)
    return out


def _json(data: Any) -> bytes:
    return (
        json.dumps(json.loads(canonical_json(data)), indent=2, ensure_ascii=False) + "\n"
    ).encode()


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _site_code(session: Session, site_id: int | None) -> str | None:
    if site_id is None:
        return None
    site = session.get(Site, site_id)
    return None if site is None else site.code


def _check_standard_files(
    session: Session, actor: Actor, as_of: dt.date, site_id: int | None
) -> tuple[dict[str, bytes], IndividualsChart | None, list[tuple[str, str]]]:
    from calib.assessment.service import (
        check_standard_capability,
        check_standard_chart,
        list_check_measurements,
    )

    files: dict[str, bytes] = {}
    signalled: IndividualsChart | None = None
    figures: list[tuple[str, str]] = []
    stmt = select(CheckStandard).order_by(col(CheckStandard.code))
    if site_id is not None:
        stmt = stmt.where(CheckStandard.site_id == site_id)
    for standard in session.exec(stmt):
        sid = int(standard.id or 0)
        data = list_check_measurements(session, actor, sid, until=as_of)
        files[f"check_standard_{standard.code}.csv"] = _csv(
            ["measured_at", "value", "unit", "subgroup", "performed_by"],
            [
                [m.measured_at.isoformat(), m.value, standard.unit, m.subgroup, m.performed_by]
                for m in data
            ],
        )
        chart = check_standard_chart(session, actor, sid, until=as_of)
        if isinstance(chart, IndividualsChart):
            figures.append(
                (
                    f"{standard.code} limits",
                    f"{chart.lcl:.3g} to {chart.ucl:.3g} {standard.unit} "
                    f"({len(chart.signals)} signals)",
                )
            )
            if chart.signals and signalled is None:
                signalled = chart
        found = check_standard_capability(session, actor, sid, until=as_of)
        if found is not None:
            cpk = found[1].cpk
            figures.append(
                (
                    f"{standard.code} Cpk",
                    f"{cpk.value:.2f} (95 %: {cpk.lower:.2f} to {cpk.upper:.2f})",
                )
            )
    return files, signalled, figures


def _environment_files(
    session: Session, actor: Actor, as_of: dt.date, site_id: int | None
) -> tuple[dict[str, bytes], list[bytes]]:
    from calib.assessment.service import room_readings

    files: dict[str, bytes] = {}
    charts: list[bytes] = []
    rooms = {r.id: r for r in session.exec(select(Room))}
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    stmt = (
        select(ExcursionRecord)
        .where(ExcursionRecord.kind == "out_of_limits", ExcursionRecord.start < end)
        .order_by(col(ExcursionRecord.start).desc())
    )
    count = 0
    for exc in session.exec(stmt):
        room = rooms.get(exc.room_id)
        if room is None or (site_id is not None and room.site_id != site_id):
            continue
        if count >= _MAX_TRACES:
            break
        count += 1
        window = (exc.start - dt.timedelta(hours=12), exc.end + dt.timedelta(hours=12))
        readings = room_readings(session, actor, int(room.id or 0), start=window[0], end=window[1])
        files[f"environment_{room.code}_excursion_{exc.id}.csv"] = _csv(
            ["time", "quantity", "value", "unit"],
            [[r.time.isoformat(), r.quantity, r.value, r.unit] for r in readings],
        )
        limit = session.exec(
            select(EnvironmentLimitRecord).where(
                EnvironmentLimitRecord.room_id == room.id,
                EnvironmentLimitRecord.quantity == exc.quantity,
                col(EnvironmentLimitRecord.procedure_id).is_(None),
            )
        ).first()
        shaded: list[tuple[dt.datetime, dt.datetime, str]] = [(exc.start, exc.end, "#ffd6d6")]
        for ia in session.exec(
            select(ImpactAssessment).where(ImpactAssessment.excursion_id == exc.id)
        ):
            location = session.exec(
                select(JobLocation).where(JobLocation.job_id == ia.job_id)
            ).first()
            if location is not None:
                shaded.append((location.started_at, location.finished_at, "#d6e4ff"))
        series = [r for r in readings if r.quantity == exc.quantity]
        charts.append(
            environment_trace_png(
                [r.time for r in series],
                [r.value for r in series],
                title=f"{room.code} {exc.quantity} ({exc.unit}) around excursion {exc.id}: "
                "red band = excursion, blue = job",
                low=None if limit is None else limit.low,
                high=None if limit is None else limit.high,
                shaded=shaded,
            )
        )
    return files, charts


def _assessment_files(
    session: Session, actor: Actor, as_of: dt.date, site_id: int | None
) -> dict[str, bytes]:
    from calib.assessment.certification import scope_state
    from calib.assessment.cycle_service import current_cycle
    from calib.assessment.findings import finding_links, list_findings

    rows = list_findings(session, actor, site_id=site_id)
    links = finding_links(session, actor, rows)
    findings = []
    for row in rows:
        link = links[int(row.id or 0)]
        finding = record_state(row)
        # ISO/IEC 17025:2017 8.7: the finding's nonconformity and corrective actions.
        finding["nonconformity"] = (
            None
            if link.nonconformity is None
            else {
                **record_state(link.nonconformity),
                "corrective_actions": [record_state(ca) for ca in link.corrective_actions],
            }
        )
        findings.append(finding)
    state = scope_state(session, actor, as_of=as_of)
    scopes = {
        "certificates": [
            {
                "certificate_id": r.certificate_id,
                "site_id": r.site_id,
                "master_id": r.master_id,
                "scope_of_certification": list(r.scope_of_certification),
                "at_this_location": list(r.at_this_location),
            }
            for r in state.rendered
        ],
        "consistency": {
            "ok": state.report.ok,
            "issues": [
                {"code": i.code, "clause": i.clause, "message": i.message, "ids": list(i.ids)}
                for i in state.report.issues
            ],
        },
    }
    files = {"findings.json": _json(findings), "scopes.json": _json(scopes)}
    found = current_cycle(session, actor, as_of=as_of)
    if found is not None:
        record, cycle = found
        files["certification_cycle.json"] = _json(
            {
                "certification_body": record.certification_body,
                "standards": record.standards,
                "certified_on": cycle.certified_on,
                "valid_until": cycle.valid_until,
                "valid": cycle.valid,
                "steps": [
                    {
                        "key": s.key,
                        "title": s.title,
                        "due": s.due,
                        "done_on": s.done_on,
                        "state": s.state,
                    }
                    for s in cycle.steps
                ],
            }
        )
    return files


def _status_file(session: Session, status: RequirementStatus) -> bytes:
    return _json(
        {
            "requirement": status.model_dump(mode="json"),
            "records": resolve_evidence(session, status.evidence),
        }
    )


def build_pack(
    session: Session,
    actor: Actor,
    out: Path | str,
    *,
    as_of: dt.date,
    site_id: int | None = None,
    catalogue: Catalogue | None = None,
    generated_at: dt.datetime | None = None,
    overwrite: bool = False,
) -> ManifestDocument:
    """Compute the statuses and write the evidence pack (ZIP or directory) to ``out``.

    References
    ----------
    CONTRACTS.md section 6; ISO/IEC 17025:2017 8.4 (control of records).
    """
    require(actor, Permission.VIEW_RECORDS)
    catalogue = catalogue or load_catalogue()
    lab = session.exec(select(Lab).order_by(col(Lab.id))).first()
    lab_name = lab.name if lab is not None else "laboratory"
    site = _site_code(session, site_id)
    statuses = requirement_statuses(
        session, actor, as_of=as_of, site_id=site_id, catalogue=catalogue
    )
    files: dict[str, bytes] = {}
    check_files, control_chart, check_figures = _check_standard_files(
        session, actor, as_of, site_id
    )
    env_files, env_charts = _environment_files(session, actor, as_of, site_id)
    files.update(check_files)
    files.update(env_files)
    files.update(_assessment_files(session, actor, as_of, site_id))
    requirements: list[ManifestRequirement] = []
    sections: list[ReportSection] = []
    for status in statuses:
        name = f"{status.requirement_id}.json"
        files[name] = _status_file(session, status)
        paths = [f"evidence/{name}"]
        if status.requirement_id in ("EQP-02", "CAP-01"):
            paths += [f"evidence/{n}" for n in sorted(check_files)]
        if status.requirement_id == "ENV-01":
            paths += [f"evidence/{n}" for n in sorted(env_files)]
        requirements.append(ManifestRequirement.from_status(status, paths))
        figures = [
            ("rules", ", ".join(f"{o.rule}: {o.state}" for o in status.outcomes) or "none"),
            ("records behind it", str(len(status.evidence))),
        ]
        if status.requirement_id in ("EQP-02", "CAP-01"):
            figures += check_figures
        sections.append(
            ReportSection(
                id=status.requirement_id,
                clause=status.clause,
                title=status.title,
                status=status.status,
                messages=status.messages,
                key_figures=figures,
                charts_png=env_charts[:1] if status.requirement_id == "ENV-01" else (),
                control_chart=control_chart if status.requirement_id == "EQP-02" else None,
                evidence=paths,
            )
        )
    when = generated_at or dt.datetime.now(dt.UTC)
    pdf = build_report_pdf(
        lab=lab_name, site=site, as_of=as_of, sections=sections, generated_at=when
    )
    return write_pack(
        out,
        lab=lab_name,
        site=site,
        as_of=as_of,
        requirements=requirements,
        evidence_files=files,
        report_pdf=pdf,
        generated_at=when,
        overwrite=overwrite,
    )


def pack_bytes(
    session: Session, actor: Actor, *, as_of: dt.date, site_id: int | None = None
) -> tuple[bytes, ManifestDocument]:
    """The evidence pack as ZIP bytes (for a download button) and its manifest."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "evidence-pack.zip"
        manifest = build_pack(session, actor, target, as_of=as_of, site_id=site_id)
        return target.read_bytes(), manifest
