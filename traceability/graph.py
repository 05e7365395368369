"""A certificate's traceability chain as a Graphviz DOT graph (every link with its verdict).

Nodes are certificates (number, instrument, issuer, date) and, at the top, the issuers
that terminate the chain (an NMI, an ILAC MRA accredited lab...). Each edge goes from a
certificate to a reference it used and is coloured by the verdict on that link, judged
on the day of use: red for a ``fail`` finding naming the reference (expired, out of
service, not yet calibrated, not traceable), orange for ``warn`` / ``conditional``,
green otherwise; the reason is the edge's label and tooltip. Pure: no I/O.

References
----------
ISO/IEC 17025:2017 6.5.1 (unbroken chain); JCGM 200:2012 2.42 (traceability chain).
"""

from __future__ import annotations

from collections import deque
from datetime import date

from traceability.chain import ChainChecker
from traceability.checks import ROOT_KINDS
from traceability.findings import Finding

__all__ = ["VERDICT_COLOURS", "chain_dot", "chain_links"]

VERDICT_COLOURS = {"fail": "#c62828", "warn": "#ef6c00", "conditional": "#ef6c00", "ok": "#2e7d32"}
_ORDER = {"ok": 0, "warn": 1, "conditional": 1, "fail": 2}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _link_verdict(findings: list[Finding], reference: str) -> tuple[str, str]:
    """Worst finding of the using certificate that names ``reference``, and its reason."""
    worst, reasons = "ok", []
    for finding in findings:
        if reference in finding.evidence[1:] or (
            finding.code == "CHAIN_CYCLE" and reference in finding.evidence
        ):
            reasons.append(f"{finding.code}: {finding.message}")
            if _ORDER[finding.severity] > _ORDER[worst]:
                worst = finding.severity
    return worst, "; ".join(reasons) or "valid, in service and current on the day of use"


def chain_links(
    checker: ChainChecker, certificate: str, as_of: date, *, max_nodes: int = 200
) -> list[tuple[str, str, str, str]]:
    """Every link (user, reference, verdict, reason) reachable from ``certificate``."""
    certificates = checker.register.certificates
    links: list[tuple[str, str, str, str]] = []
    seen = {certificate}
    queue = deque([certificate])
    while queue and len(seen) <= max_nodes:
        node = queue.popleft()
        findings = checker.findings(node, as_of)
        for ref in certificates[node].references:
            verdict, reason = _link_verdict(findings, ref.certificate)
            if not checker.chain_traceable(ref.certificate) and verdict == "ok":
                verdict, reason = "fail", f"{ref.certificate} is not traceable (see its findings)"
            links.append((node, ref.certificate, verdict, reason))
            if ref.certificate not in seen:
                seen.add(ref.certificate)
                queue.append(ref.certificate)
    return links


def chain_dot(checker: ChainChecker, certificate: str, as_of: date) -> str:
    """The DOT text of ``certificate``'s chain as of ``as_of`` (render with Graphviz).

    >>> from traceability.register import Certificate, Instrument, Issuer, Register
    >>> reg = Register(issuers=[Issuer("NMI", "nmi")], instruments=[Instrument("STD")],
    ...                certificates=[Certificate("C1", "STD", "NMI", date(2024, 1, 1))])
    >>> "C1" in chain_dot(ChainChecker(reg), "C1", date(2024, 6, 1))
    True
    """
    register = checker.register
    links = chain_links(checker, certificate, as_of)
    nodes = {certificate} | {a for a, *_ in links} | {b for _, b, *_ in links}
    lines = [
        "digraph chain {",
        "  rankdir=BT;",
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    roots: set[str] = set()
    for node in sorted(nodes):
        cert = register.certificates[node]
        judged = checker.verdict(node, as_of)
        fails = [f for f in judged.findings if f.severity == "fail"]
        colour = VERDICT_COLOURS["ok" if judged.traceable else "fail"]
        tooltip = "; ".join(f"{f.code}: {f.message}" for f in judged.findings) or "no finding"
        label = f"{node}\n{cert.instrument}\n{cert.issuer}, {cert.calibrated_on}"
        if fails:
            label += f"\n{fails[0].code}"
        width = 3 if node == certificate else 1
        lines.append(
            f"  {_quote(node)} [label={_quote(label)}, "
            f"color={_quote(colour)}, penwidth={width}, tooltip={_quote(tooltip)}];"
        )
        if not cert.references:
            issuer = register.issuers[cert.issuer]
            root_id = f"issuer:{issuer.id}"
            recognised = checker.local(node).recognised_root or issuer.kind in ROOT_KINDS
            if root_id not in roots:
                roots.add(root_id)
                shape = "ellipse" if recognised else "octagon"
                lines.append(
                    f"  {_quote(root_id)} [label={_quote(issuer.id + ' (' + issuer.kind + ')')}, "
                    f'shape={shape}, fillcolor="#e3f2fd"];'
                )
            edge = VERDICT_COLOURS["ok" if recognised else "fail"]
            why = "recognised root" if recognised else "not a recognised root"
            lines.append(
                f"  {_quote(node)} -> {_quote(root_id)} [color={_quote(edge)}, "
                f"label={_quote(why)}, tooltip={_quote(why)}];"
            )
    for user, reference, verdict, reason in links:
        short = reason.split(":")[0] if verdict != "ok" else "ok"
        lines.append(
            f"  {_quote(user)} -> {_quote(reference)} [color={_quote(VERDICT_COLOURS[verdict])}, "
            f"penwidth={2 if verdict != 'ok' else 1}, label={_quote(short)}, "
            f"tooltip={_quote(reason)}];"
        )
    lines.append("}")
    return "\n".join(lines)
