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

import gc
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from traceability.checks import LocalCheck, ScopeCache, local_check
from traceability.findings import Finding, make_finding
from traceability.register import CmcLine, Register

__all__ = ["CertificateVerdict", "ChainChecker", "CheckResult", "check_register"]

_GC_PAUSE_THRESHOLD = 20_000


class CertificateVerdict(NamedTuple):
    """The verdict on one certificate as of a date (a named tuple: cheap to build in bulk)."""

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
        self._chains: dict[str, tuple[str, ...]] = {}
        self._scope_cache: ScopeCache = {}
        self._latest_as_of: date | None = None
        self._latest: dict[str, str | None] = {}

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
            found = local_check(self.register, cert, self._lines_of(cert.issuer), self._scope_cache)
            self._local[certificate] = found
        return found

    def analyse(self, starts: Iterable[str]) -> None:
        """Settle the verdicts of ``starts`` and everything they rest on (Tarjan, iterative).

        Strongly connected components are emitted in reverse topological order, so every
        reference is settled before the certificates that use it.
        """
        certificates = self.register.certificates
        settled = self._ok
        chains = self._chains
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        for start in starts:
            if start in settled or start in index:
                continue
            # Fast path: every reference already settled (the usual case in date order).
            refs_ok = True
            refs = certificates[start].references
            for ref in refs:
                upstream = ref.certificate
                if upstream not in settled or upstream == start:
                    break
                if not settled[upstream]:
                    refs_ok = False
            else:
                findings = self.local(start).findings
                settled[start] = refs_ok and (
                    not findings or not any(f.severity == "fail" for f in findings)
                )
                if not refs:
                    chains[start] = (start,)
                else:
                    tail = chains.get(refs[0].certificate)
                    if tail is not None:
                        chains[start] = (start, *tail)
                continue
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
                    if nxt in settled:
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

    def _analyse(self, start: str) -> None:
        if start not in self._ok:
            self.analyse((start,))

    def _settle(self, component: list[str]) -> None:
        certificates = self.register.certificates
        settled = self._ok
        cyclic = len(component) > 1 or any(
            ref.certificate == component[0] for ref in certificates[component[0]].references
        )
        if cyclic:
            ordered = tuple(sorted(component))
            for member in component:
                self._cycle[member] = ordered
                settled[member] = False
                self.local(member)
            return
        member = component[0]
        findings = self.local(member).findings
        ok = not findings or not any(f.severity == "fail" for f in findings)
        if ok:
            for ref in certificates[member].references:
                if not settled[ref.certificate]:
                    ok = False
                    break
        settled[member] = ok

    def chain_traceable(self, certificate: str) -> bool:
        """Whether ``certificate`` and everything it rests on is free of ``fail`` findings."""
        self._analyse(certificate)
        return self._ok[certificate]

    def chain(self, certificate: str) -> tuple[str, ...]:
        """The certificate, then its first reference, and so on up to the root (memoised)."""
        self._analyse(certificate)
        chains, cycle = self._chains, self._cycle
        certificates = self.register.certificates
        path: list[str] = []
        node = certificate
        tail: tuple[str, ...] = ()
        while True:
            known = chains.get(node)
            if known is not None:
                tail = known
                break
            if node in cycle:
                return self._walk_chain(certificate)
            path.append(node)
            refs = certificates[node].references
            if not refs:
                break
            node = refs[0].certificate
        for member in reversed(path):
            tail = (member, *tail)
            chains[member] = tail
        return tail

    def _walk_chain(self, certificate: str) -> tuple[str, ...]:
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
        if (
            not cert.valid_on(as_of)
            and self._latest_on(cert.instrument, as_of) == certificate
            and register.instruments[cert.instrument].status == "in_service"
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

    def _latest_on(self, instrument: str, as_of: date) -> str | None:
        """Id of the instrument's latest certificate on ``as_of`` (memoised per date)."""
        if self._latest_as_of != as_of:
            self._latest_as_of = as_of
            self._latest = {}
        latest = self._latest.get(instrument, "")
        if latest == "":
            found = self.register.latest_certificate(instrument, as_of)
            latest = self._latest[instrument] = found.id if found is not None else None
        return latest

    def verdict(self, certificate: str, as_of: date) -> CertificateVerdict:
        """The verdict on one certificate as of ``as_of``."""
        cert = self.register.certificates[certificate]
        findings = self.findings(certificate, as_of)
        traceable = self._ok[certificate] and (
            not findings or not any(f.code == "NO_VALID_CERTIFICATE" for f in findings)
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
    everything = register.certificates
    ids = [
        cert_id
        for cert_id in (everything if certificates is None else certificates)
        if everything[cert_id].issued <= as_of
    ]
    # Bulk checks allocate millions of acyclic objects; pausing the cyclic garbage
    # collector meanwhile saves about a fifth of the time (restored afterwards).
    pause = len(ids) > _GC_PAUSE_THRESHOLD and gc.isenabled()
    if pause:
        gc.disable()
    try:
        return _check_ids(checker, ids, as_of)
    finally:
        if pause:
            gc.enable()


def _check_ids(checker: ChainChecker, ids: list[str], as_of: date) -> CheckResult:
    everything = checker.register.certificates
    checker.analyse(ids)
    verdicts: list[CertificateVerdict] = []
    settled, cycle, local, chains = checker._ok, checker._cycle, checker._local, checker._chains
    for cert_id in ids:
        cert = everything[cert_id]
        due = cert.due
        if (
            settled[cert_id]
            and (
                due is None or as_of <= due or checker._latest_on(cert.instrument, as_of) != cert_id
            )
            and cert_id not in cycle
        ):
            # Common case inlined: traceable, current on as_of, no reference findings.
            verdicts.append(
                CertificateVerdict(
                    cert_id,
                    cert.instrument,
                    cert.calibrated_on,
                    True,
                    chains.get(cert_id) or checker.chain(cert_id),
                    tuple(local[cert_id].findings),
                )
            )
        else:
            verdicts.append(checker.verdict(cert_id, as_of))
    return CheckResult(as_of=as_of, verdicts=tuple(verdicts))
