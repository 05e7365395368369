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

from traceability.checks import (
    LocalCheck,
    ScopeCache,
    check_issuer,
    check_points_scope,
    check_tur,
    check_uncertainty_order,
    local_check,
)
from traceability.findings import Finding, make_finding
from traceability.register import Certificate, CmcLine, Point, Register

__all__ = ["CertificateVerdict", "ChainChecker", "CheckResult", "check_register"]

_GC_PAUSE_THRESHOLD = 20_000
_UNKNOWN = object()
# The local check of a certificate without findings (shared: never mutated).
_CLEAN_ROOT = LocalCheck([], True)
_CLEAN = LocalCheck([], False)


def _identity(points: tuple[Point, ...]) -> object:
    """A key for "these very point objects" (the register keeps them alive)."""
    return id(points[0]) if len(points) == 1 else tuple(map(id, points))


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
        # Whether a part of the local check finds nothing, by what alone decides it (see
        # _clean_local); points are keyed by identity: the database loader shares them.
        self._issuer_clean: dict[tuple[str, date], object] = {}
        self._points_clean: dict[tuple[str, object], bool] = {}
        self._order_clean: dict[tuple[object, object, str | None], bool] = {}

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
            found = self._local_of(certificate, self.register.certificates[certificate])
        return found

    def _local_of(self, cert_id: str, cert: Certificate) -> LocalCheck:
        found = self._local.get(cert_id)
        if found is None:
            found = self._local[cert_id] = self._clean_local(cert) or local_check(
                self.register, cert, self._lines_of(cert.issuer), self._scope_cache
            )
        return found

    def _clean_local(self, cert: Certificate) -> LocalCheck | None:
        """The local check of ``cert`` when it certainly finds nothing, else ``None``.

        Most certificates of a register have no finding, and whether each part of the
        local check finds anything depends on far fewer things than the certificate:
        the issuer's recognition on the issuer and the calibration date; scope, CMC and
        TUR on the issuer and the points; a reference's uncertainty order on the two
        certificates' points and the reference's quantity. Those verdicts are memoised
        (computed by the same ``check_*`` functions :func:`local_check` runs); anything
        else (a reference with events or amendments, a date out of order) falls back to
        :func:`local_check`, which alone writes findings.
        """
        register = self.register
        day = cert.calibrated_on
        key = (cert.issuer, day)
        root = self._issuer_clean.get(key, _UNKNOWN)
        if root is _UNKNOWN:
            judged = check_issuer(register, cert)
            root = self._issuer_clean[key] = None if judged.findings else judged.recognised_root
        refs = cert.references
        if root is None or (not refs and not root):
            return None
        points = cert.points
        mine = id(points[0]) if len(points) == 1 else _identity(points)  # inlined: the usual case
        points_key = (cert.issuer, mine)
        clean = self._points_clean.get(points_key)
        if clean is None:
            lines = self._lines_of(cert.issuer)
            found = check_points_scope(cert, register.issuers[cert.issuer], lines)
            check_tur(cert, register.tur_minimum, found)
            clean = self._points_clean[points_key] = not found
        if not clean:
            return None
        if refs:
            certificates = register.certificates
            events = register.events_by_instrument
            amended = register.superseded_by
            order = self._order_clean
            for ref in refs:
                used = certificates[ref.certificate]
                due = used.due
                if (
                    used.calibrated_on > day
                    or (due is not None and day > due)
                    or used.instrument in events
                    or used.id in amended
                ):
                    return None
                theirs = used.points
                order_key = (
                    mine,
                    id(theirs[0]) if len(theirs) == 1 else _identity(theirs),
                    ref.quantity,
                )
                ordered = order.get(order_key)
                if ordered is None:
                    below: list[Finding] = []
                    check_uncertainty_order(cert, used, ref.quantity, below)
                    ordered = order[order_key] = not below
                if not ordered:
                    return None
        return _CLEAN_ROOT if root else _CLEAN

    def _settle_fast(self, cert_id: str, cert: Certificate) -> bool:
        """Settle ``cert`` when every reference is already settled (the usual case in
        date order); ``False`` when the full walk of :meth:`analyse` is needed.
        """
        settled = self._ok
        refs = cert.references
        refs_ok = True
        for ref in refs:
            upstream = settled.get(ref.certificate)
            if upstream is None or ref.certificate == cert_id:
                return False
            if not upstream:
                refs_ok = False
        findings = self._local_of(cert_id, cert).findings
        settled[cert_id] = refs_ok and (
            not findings or not any(f.severity == "fail" for f in findings)
        )
        if not refs:
            self._chains[cert_id] = (cert_id,)
        else:
            tail = self._chains.get(refs[0].certificate)
            if tail is not None:
                self._chains[cert_id] = (cert_id, *tail)
        return True

    def analyse(self, starts: Iterable[str]) -> None:
        """Settle the verdicts of ``starts`` and everything they rest on (Tarjan, iterative).

        Strongly connected components are emitted in reverse topological order, so every
        reference is settled before the certificates that use it.
        """
        certificates = self.register.certificates
        settled = self._ok
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        for start in starts:
            if start in settled or start in index:
                continue
            if self._settle_fast(start, certificates[start]):
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

    def _latest_memo(self, as_of: date) -> dict[str, str | None]:
        """The memo of :meth:`_latest_on` for ``as_of`` (instrument: latest certificate id)."""
        if self._latest_as_of != as_of:
            self._latest_as_of = as_of
            self._latest = {}
        return self._latest

    def _latest_on(self, instrument: str, as_of: date) -> str | None:
        """Id of the instrument's latest certificate on ``as_of`` (memoised per date)."""
        latest = self._latest_memo(as_of).get(instrument, "")
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
    candidates = everything if certificates is None else list(certificates)
    # Bulk checks allocate millions of acyclic objects; pausing the cyclic garbage
    # collector meanwhile saves about a fifth of the time (restored afterwards).
    pause = len(candidates) > _GC_PAUSE_THRESHOLD and gc.isenabled()
    if pause:
        gc.disable()
    try:
        return _check_ids(checker, candidates, as_of)
    finally:
        if pause:
            gc.enable()


def _check_ids(checker: ChainChecker, candidates: Iterable[str], as_of: date) -> CheckResult:
    """Verdicts on the ``candidates`` issued on or before ``as_of``, in one pass.

    Each certificate is settled as it comes (its references usually come first), and the
    common verdict (traceable, current on ``as_of``, no reference findings) is built
    inline; everything else goes through :meth:`ChainChecker.verdict`.
    """
    everything = checker.register.certificates
    settled, local, chains = checker._ok, checker._local, checker._chains
    settle_fast, latest_on = checker._settle_fast, checker._latest_on
    pairs = (
        everything.items()
        if candidates is everything
        else ((cert_id, everything[cert_id]) for cert_id in candidates)
    )
    new = tuple.__new__  # a NamedTuple's own __new__ is a Python function: half the speed
    latest = checker._latest_memo(as_of).get  # the memo of latest_on, read inline
    verdicts: list[CertificateVerdict] = []
    append = verdicts.append
    for cert_id, cert in pairs:
        if (cert.issued_on or cert.calibrated_on) > as_of:
            continue
        ok = settled.get(cert_id)
        if ok is None:
            if not settle_fast(cert_id, cert):
                checker.analyse((cert_id,))
            ok = settled[cert_id]
        if ok:  # hence in no cycle: members of a cycle are settled not traceable
            due = cert.due
            if (
                due is None
                or as_of <= due
                or (latest(cert.instrument, "") or latest_on(cert.instrument, as_of)) != cert_id
            ):
                findings = local[cert_id].findings
                append(
                    new(
                        CertificateVerdict,
                        (
                            cert_id,
                            cert.instrument,
                            cert.calibrated_on,
                            True,
                            chains.get(cert_id) or checker.chain(cert_id),
                            tuple(findings) if findings else (),
                        ),
                    )
                )
                continue
        append(checker.verdict(cert_id, as_of))
    return CheckResult(as_of=as_of, verdicts=tuple(verdicts))
