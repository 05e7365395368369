"""The chain walk: is every certificate traceable, unbroken, to a recognised root?

Each certificate's references form a directed graph. The walk finds its strongly
connected components (Tarjan, iterative) so that cycles are found once, then settles the
verdicts in reverse topological order: a certificate is traceable when it has no ``fail``
finding of its own (judged as of its calibration date) and every reference is traceable.
Verdicts are memoised, so a register of 500,000 certificates is checked in one linear
pass. A reference judged as of the date it was used never changes when the register is
checked at a later ``as_of``; only ``NO_VALID_CERTIFICATE`` (is the instrument's latest
calibration still current on ``as_of``?) depends on ``as_of``.

References
----------
ISO/IEC 17025:2017 6.5.1 (unbroken chain of calibrations); JCGM 200:2012 2.41, 2.42
(metrological traceability, traceability chain); ILAC P10:07/2020 section 2.
Tarjan R., "Depth-first search and linear graph algorithms", SIAM J. Comput. 1 (1972).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from traceability.checks import LocalCheck, local_check
from traceability.findings import Finding, make_finding
from traceability.register import CmcLine, Register

__all__ = ["CertificateVerdict", "ChainChecker", "CheckResult", "check_register"]


@dataclass(frozen=True, slots=True)
class CertificateVerdict:
    """The verdict on one certificate as of a date."""

    certificate: str
    instrument: str
    calibrated_on: date
    traceable: bool
    chain: tuple[str, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Verdicts on every certificate issued on or before ``as_of``."""

    as_of: date
    verdicts: tuple[CertificateVerdict, ...]

    @property
    def traceable(self) -> int:
        """Number of traceable certificates."""
        return sum(1 for v in self.verdicts if v.traceable)

    @property
    def not_traceable(self) -> int:
        """Number of certificates that are not traceable."""
        return len(self.verdicts) - self.traceable


class ChainChecker:
    """Memoised chain analysis of one register (build once, query many times).

    >>> from traceability.register import Certificate, Instrument, Issuer
    >>> reg = Register(
    ...     issuers=[Issuer("NMI", "nmi")],
    ...     instruments=[Instrument("STD")],
    ...     certificates=[Certificate("C1", "STD", "NMI", date(2024, 1, 1))],
    ... )
    >>> ChainChecker(reg).verdict("C1", date(2024, 6, 1)).traceable
    True
    """

    def __init__(self, register: Register) -> None:
        self.register = register
        self._local: dict[str, LocalCheck] = {}
        self._ok: dict[str, bool] = {}
        self._cycle: dict[str, tuple[str, ...]] = {}
        self._lines: dict[str, dict[str, list[CmcLine]]] = {}

    def _lines_of(self, issuer_id: str) -> dict[str, list[CmcLine]]:
        lines = self._lines.get(issuer_id)
        if lines is None:
            lines = {}
            for line in self.register.issuers[issuer_id].cmcs:
                lines.setdefault(line.quantity_key, []).append(line)
            self._lines[issuer_id] = lines
        return lines

    def local(self, certificate: str) -> LocalCheck:
        """Local findings of one certificate (memoised)."""
        found = self._local.get(certificate)
        if found is None:
            cert = self.register.certificates[certificate]
            found = local_check(self.register, cert, self._lines_of(cert.issuer))
            self._local[certificate] = found
        return found

    def _analyse(self, start: str) -> None:
        """Tarjan's SCC algorithm from ``start``, settling ``_ok`` in reverse topological order."""
        if start in self._ok:
            return
        certificates = self.register.certificates
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, child = work.pop()
            refs = certificates[node].references
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            recurse = False
            while child < len(refs):
                nxt = refs[child].certificate
                child += 1
                if nxt in self._ok:
                    continue
                if nxt not in index:
                    work.append((node, child))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                self._settle(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])

    def _settle(self, component: list[str]) -> None:
        certificates = self.register.certificates
        members = set(component)
        cyclic = len(component) > 1 or any(
            ref.certificate == component[0] for ref in certificates[component[0]].references
        )
        if cyclic:
            ordered = tuple(sorted(members))
            for member in component:
                self._cycle[member] = ordered
        for member in component:
            ok = not cyclic and not any(f.severity == "fail" for f in self.local(member).findings)
            if ok:
                ok = all(self._ok[ref.certificate] for ref in certificates[member].references)
            self._ok[member] = ok

    def chain_traceable(self, certificate: str) -> bool:
        """Whether ``certificate`` and everything it rests on is free of ``fail`` findings."""
        self._analyse(certificate)
        return self._ok[certificate]

    def chain(self, certificate: str) -> tuple[str, ...]:
        """The certificate, then its first reference, and so on up to the root."""
        certificates = self.register.certificates
        seen: list[str] = [certificate]
        visited = {certificate}
        current = certificates[certificate]
        while current.references:
            nxt = current.references[0].certificate
            if nxt in visited:
                break
            seen.append(nxt)
            visited.add(nxt)
            current = certificates[nxt]
        return tuple(seen)

    def findings(self, certificate: str, as_of: date) -> list[Finding]:
        """Local findings, cycle, untraceable references and currency on ``as_of``."""
        self._analyse(certificate)
        register = self.register
        cert = register.certificates[certificate]
        findings = list(self.local(certificate).findings)
        cycle = self._cycle.get(certificate)
        if cycle is not None:
            findings.append(
                make_finding(
                    "CHAIN_CYCLE",
                    f"the references of {certificate} lead back to it through {', '.join(cycle)}",
                    cycle,
                )
            )
        for ref in cert.references:
            if not self._ok[ref.certificate] and (cycle is None or ref.certificate not in cycle):
                findings.append(
                    make_finding(
                        "REFERENCE_NOT_TRACEABLE",
                        f"reference {ref.certificate} is not traceable (see its findings)",
                        (certificate, ref.certificate),
                    )
                )
        latest = register.latest_certificate(cert.instrument, as_of)
        instrument = register.instruments[cert.instrument]
        if (
            latest is not None
            and latest.id == certificate
            and not cert.valid_on(as_of)
            and instrument.status == "in_service"
            and register.out_of_service_event(cert.instrument, as_of) is None
        ):
            findings.append(
                make_finding(
                    "NO_VALID_CERTIFICATE",
                    f"instrument {cert.instrument} is in service on {as_of} but its latest "
                    f"certificate {certificate} was due on {cert.due}",
                    (cert.instrument, certificate),
                )
            )
        return findings

    def verdict(self, certificate: str, as_of: date) -> CertificateVerdict:
        """The verdict on one certificate as of ``as_of``."""
        cert = self.register.certificates[certificate]
        findings = self.findings(certificate, as_of)
        traceable = self._ok[certificate] and not any(
            f.code == "NO_VALID_CERTIFICATE" for f in findings
        )
        return CertificateVerdict(
            certificate=certificate,
            instrument=cert.instrument,
            calibrated_on=cert.calibrated_on,
            traceable=traceable,
            chain=self.chain(certificate),
            findings=tuple(findings),
        )


def check_register(
    register: Register,
    as_of: date,
    *,
    certificates: Iterable[str] | None = None,
    checker: ChainChecker | None = None,
) -> CheckResult:
    """Check every certificate issued on or before ``as_of`` (or only ``certificates``).

    Parameters
    ----------
    register:
        The validated register.
    as_of:
        Date of the check. Past calibrations are judged as of their own date; ``as_of``
        only decides which certificates are listed and whether each instrument's latest
        calibration is still current (``NO_VALID_CERTIFICATE``).
    certificates:
        Restrict the listing to these ids (all by default).
    checker:
        A :class:`ChainChecker` to reuse its memo across calls.

    References
    ----------
    ISO/IEC 17025:2017 6.5.1; CONTRACTS section 4 (verdict rules).
    """
    checker = checker or ChainChecker(register)
    ids = register.certificates if certificates is None else certificates
    verdicts = []
    for cert_id in ids:
        cert = register.certificates[cert_id]
        if cert.issued > as_of:
            continue
        verdicts.append(checker.verdict(cert_id, as_of))
    return CheckResult(as_of=as_of, verdicts=tuple(verdicts))
