"""Multisite scopes (IECQ 03-1:2023 5.2, 8.1.4, Annex D as stated in the IECQ FAQ)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calib.assessment.scopes import (
    Certificate,
    ScopeLine,
    Site,
    build_certificates,
    consistency_report,
    render_certificate,
    render_line,
)
from uncertainty.errors import InvalidInputError

LINES = [
    ScopeLine("DCV-1", "DC voltage", 0, 1000, "V", "2 µV/V + 1 µV", "P-DCV-01"),
    ScopeLine("RES-1", "DC resistance", 1, 1e6, "Ω", "5 µΩ/Ω", "P-RES-01"),
    ScopeLine("TMP-1", "Temperature (PRT)", -40, 250, "°C", "0.02 °C", "P-TMP-01"),
]
SITES = [Site("HQ", "Head office", is_head_office=True), Site("S2", "North lab")]
SCOPES = {"HQ": ["DCV-1", "RES-1"], "S2": ["TMP-1"]}


def certs() -> list[Certificate]:
    return build_certificates(LINES, SITES, SCOPES, certificate_ids={"HQ": "M-001", "S2": "S-002"})


def test_master_scope_is_the_union_of_site_scopes() -> None:
    """FAQ: the master certificate covers the entire scope of activity of all sites;
    each site certificate describes only the activities at that location."""
    master, site = certs()
    assert master.kind == "master" and master.site_id == "HQ" and master.id == "M-001"
    assert master.scope_of_certification == ("DCV-1", "RES-1", "TMP-1")
    assert master.site_scope == ("DCV-1", "RES-1")
    assert site.master_id == "M-001"
    assert site.scope_of_certification == master.scope_of_certification  # Annex D
    assert site.site_scope == ("TMP-1",)
    assert consistency_report(LINES, SITES, certs()).ok


def test_wording_is_rendered_from_the_line() -> None:
    _master, site = certs()
    rendered = render_certificate(site, LINES)
    assert rendered.at_this_location == (render_line(LINES[2]),)
    assert rendered.scope_of_certification == tuple(render_line(x) for x in LINES)
    text = rendered.text()
    assert "This Certificate is applicable for the following scope of activity" in text
    assert "At this location" in text and "master certificate M-001" in text
    assert (
        render_line(LINES[2])
        == "Temperature (PRT), -40 °C to 250 °C, CMC 0.02 °C (procedure P-TMP-01)"
    )


def test_site_not_linked_to_master() -> None:
    master, site = certs()
    report = consistency_report(LINES, SITES, [master, replace(site, master_id="M-999")])
    assert report.codes() == {"SITE_NOT_LINKED"}
    assert report.issues[0].clause == "IECQ 03-1:2023 5.2"
    missing = consistency_report(LINES, SITES, [master])
    assert "SITE_NOT_LINKED" in missing.codes()


def test_site_not_listed() -> None:
    sites = [SITES[0], replace(SITES[1], listed=False)]
    assert consistency_report(LINES, sites, certs()).codes() == {"SITE_NOT_LISTED"}


def test_site_line_not_in_master_scope() -> None:
    master, site = certs()
    narrowed = replace(master, scope_of_certification=("DCV-1", "RES-1"))
    report = consistency_report(LINES, SITES, [narrowed, site])
    assert "SITE_LINE_NOT_IN_MASTER" in report.codes()
    assert "SCOPE_NOT_IDENTICAL" in report.codes()


def test_scope_not_identical_across_certificates() -> None:
    master, site = certs()
    report = consistency_report(
        LINES, SITES, [master, replace(site, scope_of_certification=("TMP-1",))]
    )
    assert report.codes() == {"SCOPE_NOT_IDENTICAL"}
    assert report.issues[0].clause == "IECQ 03-1:2023 Annex D"


def test_master_not_head_office() -> None:
    sites = [replace(SITES[0], is_head_office=False), SITES[1]]
    assert "MASTER_NOT_HEAD_OFFICE" in consistency_report(LINES, sites, certs()).codes()


def test_ambiguous_wording() -> None:
    lines = [
        *LINES,
        ScopeLine("X-1", "AC voltage"),
        ScopeLine("X-2", "Mass", 10, 1, "g", "1 mg", "P-M"),
    ]
    lines.append(replace(LINES[0], id="DCV-2"))
    report = consistency_report(lines, SITES, certs())
    assert report.codes() == {"AMBIGUOUS_WORDING"}
    messages = " ".join(i.message for i in report.issues)
    assert "X-1 lacks range, unit, CMC, procedure" in messages
    assert "minimum above maximum" in messages
    assert "DCV-1 and DCV-2 have the same wording" in messages
    assert all(i.clause == "IECQ 03-1:2023 8.1.4" for i in report.issues)


def test_unknown_line_and_line_at_no_site() -> None:
    master, site = certs()
    report = consistency_report(
        LINES,
        SITES,
        [replace(master, scope_of_certification=(*master.scope_of_certification, "ZZZ")), site],
    )
    assert {"UNKNOWN_LINE", "MASTER_LINE_AT_NO_SITE", "SCOPE_NOT_IDENTICAL"} <= report.codes()


def test_no_master_and_several_masters() -> None:
    master, site = certs()
    assert consistency_report(LINES, SITES, [site]).codes() == {"NO_MASTER"}
    two = [master, replace(master, id="M-002")]
    assert "SEVERAL_MASTERS" in consistency_report(LINES, SITES, [*two, site]).codes()


@pytest.mark.parametrize(
    ("sites", "scopes", "field"),
    [
        ([Site("A", "a"), Site("B", "b")], {"A": ["DCV-1"]}, "sites.is_head_office"),
        (SITES, {"ZZ": ["DCV-1"]}, "site_scopes"),
        (SITES, {"HQ": ["NOPE"]}, "site_scopes.HQ"),
    ],
)
def test_build_refuses_bad_input(
    sites: list[Site], scopes: dict[str, list[str]], field: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        build_certificates(LINES, sites, scopes)
    assert info.value.field == field


def test_duplicate_line_ids_and_unrenderable_certificate() -> None:
    with pytest.raises(InvalidInputError, match="used twice"):
        build_certificates([*LINES, LINES[0]], SITES, SCOPES)
    master, _ = certs()
    with pytest.raises(InvalidInputError, match="not in the vocabulary"):
        render_certificate(replace(master, site_scope=("NOPE",)), LINES)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sets(st.sampled_from([x.id for x in LINES]), min_size=1), min_size=1, max_size=4)
)
def test_built_certificates_are_always_consistent(scopes: list[set[str]]) -> None:
    """Property: certificates built from any site scopes have the union as scope of
    certification on every certificate and pass the consistency report."""
    sites = [Site(f"S{i}", f"site {i}", is_head_office=(i == 0)) for i in range(len(scopes))]
    site_scopes = {f"S{i}": sorted(s) for i, s in enumerate(scopes)}
    built = build_certificates(LINES, sites, site_scopes)
    union = set().union(*scopes)
    assert all(set(c.scope_of_certification) == union for c in built)
    assert consistency_report(LINES, sites, built).ok
