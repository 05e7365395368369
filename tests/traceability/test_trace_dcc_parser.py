"""traceability.dcc: DCC (PTB XML 3.x) -> the register's certificate model.

The fixtures under data/dcc_*.xml are written for these tests (not third-party files);
their structure follows the PTB DCC schema 3.x and the D-SI ``si:real`` model.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traceability.dcc import dsi_to_pint, parse_dcc
from traceability.register import Point
from traceability.schema import load_register
from uncertainty.errors import InvalidInputError

DATA = Path(__file__).parent / "data"
SINGLE = (DATA / "dcc_single.xml").read_text(encoding="utf-8")
LIST = (DATA / "dcc_list.xml").read_text(encoding="utf-8")
SEVERAL = (DATA / "dcc_several.xml").read_text(encoding="utf-8")

ROOT = "dcc:digitalCalibrationCertificate"
CORE = f"{ROOT}/dcc:administrativeData/dcc:coreData"
SINGLE_Q = (
    f"{ROOT}/dcc:measurementResults/dcc:measurementResult[1]/dcc:results/dcc:result[1]"
    "/dcc:data/dcc:list[1]/dcc:quantity[2]"
)
LIST_Q = (
    f"{ROOT}/dcc:measurementResults/dcc:measurementResult[1]/dcc:results/dcc:result[1]"
    "/dcc:data/dcc:quantity[1]/si:realListXMLList"
)
SINGLE_UNC = """<si:expandedUnc>
                    <si:uncertainty>0.00004</si:uncertainty>
                    <si:coverageFactor>2</si:coverageFactor>"""


def _refused(text: str | bytes) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        parse_dcc(text)
    return info.value


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# ------------------------------------------------------------------ good documents


def test_single_value_certificate() -> None:
    parsed = parse_dcc(SINGLE.encode("utf-8"))
    cert = parsed.certificate
    assert (cert.id, cert.calibrated_on, cert.issued_on) == (
        "DCC-2024-0042",
        date(2024, 5, 2),
        date(2024, 5, 6),
    )
    assert [p.model_dump(exclude_none=True) for p in cert.points] == [
        {
            "quantity": "DC voltage",
            "value": 10.00002,
            "unit": "V",
            "expanded_uncertainty": 0.00004,
            "coverage_factor": 2.0,
        }
    ]
    assert parsed.paths == [SINGLE_Q]
    # English content is preferred over the first (German) one; the serial is the
    # identification named "Serial number", not the inventory number listed first.
    assert parsed.item.model_dump() == {
        "description": "Digital multimeter",
        "manufacturer": "Example Instruments",
        "model": "EX-8846",
        "serial": "SN-0012345",
    }
    assert (parsed.laboratory.code, parsed.laboratory.name) == ("D-K-00001", "Lab A Calibration")
    assert len(parsed.skipped) == 1 and "dcc:quantity[1]: no uncertainty" in parsed.skipped[0]


def test_text_input_and_mapping_onto_register_ids() -> None:
    parsed = parse_dcc(SINGLE)
    cert = parsed.for_register(issuer="LAB-A", instrument="DMM-3")
    assert (cert.issuer, cert.instrument) == ("LAB-A", "DMM-3")
    assert parsed.certificate.issuer == ""  # the parsed document is unchanged
    inst = parsed.item.instrument_input("DMM-3")
    assert (inst.id, inst.serial, inst.model) == ("DMM-3", "SN-0012345", "EX-8846")


def test_list_values_expand_to_one_point_each() -> None:
    parsed = parse_dcc(LIST)
    points = parsed.certificate.points
    assert [(p.value, p.unit, p.expanded_uncertainty, p.coverage_factor) for p in points] == [
        (100.0, "mV", 0.002, 2.0),
        (500.5, "mV", 0.004, 2.0),
        (1000.0, "mV", 0.006, 2.0),
    ]
    assert parsed.paths[2].endswith("dcc:quantity[1]#3")
    # The result's name is used when the quantity has none; a zone suffix is dropped.
    assert {p.quantity for p in points} == {"DC voltage"}
    assert parsed.certificate.calibrated_on == date(2024, 2, 12)
    assert parsed.item.serial == "LAB-ITEM-9"  # the only identification


def test_several_quantities_relative_units_and_uncertainty_forms() -> None:
    parsed = parse_dcc(SEVERAL)
    rows = [
        (p.quantity, p.value, p.unit, p.expanded_uncertainty, p.coverage_factor)
        for p in parsed.certificate.points
    ]
    assert rows == [
        ("Resistance", 10.000012, "kohm", 0.000025, 2.1),
        ("Voltage ratio", 0.4, "uV/V", 0.05, 1.0),  # si:standardMU: k = 1
        ("Temperature", 23.05, "degC", 0.03, 2.0),  # first representation of si:hybrid
        ("Relative humidity", 30.2, "percent", 1.2, 2.0),
        ("Relative humidity", 50.1, "percent", 1.5, 2.0),
        ("Density of air", 1.1877, "kg/m**3", 0.0004, 2.0),
    ]
    assert parsed.skipped and "no si:real" in parsed.skipped[0]
    points = [Point(**p.model_dump()) for p in parsed.certificate.points]
    # 0.000025 kΩ at k = 2.1 is u = 0.025 Ω / 2.1 in SI; 0.05 µV/V at k = 1 is 5e-8.
    assert math.isclose(points[0].u_si, 0.025 / 2.1, rel_tol=1e-12)
    assert math.isclose(points[1].u_si, 5e-8, rel_tol=1e-12)
    assert math.isclose(points[2].value_si, 296.2, rel_tol=1e-12)  # 23.05 °C
    assert math.isclose(points[3].u_si, 0.006, rel_tol=1e-12)  # 1.2 % / 2


def test_parsed_certificate_loads_as_a_register_document() -> None:
    parsed = parse_dcc(SEVERAL)
    cert = parsed.for_register(issuer="LAB", instrument="CR-1")
    register = load_register(
        {
            "issuers": [{"id": "LAB", "kind": "accredited_lab"}],
            "instruments": [parsed.item.instrument_input("CR-1").model_dump()],
            "certificates": [cert.model_dump(mode="json")],
        }
    )
    assert len(register.certificates["DCC-MULTI-1"].points) == 6


@pytest.mark.parametrize(
    ("dsi", "pint_text", "scale"),
    [
        (r"\volt", "V", 1.0),
        (r"\milli\volt", "mV", 1e-3),
        (r"\micro\ohm", "uohm", 1e-6),
        (r"\kilo\ohm", "kohm", 1e3),
        (r"\kilogram", "kg", 1.0),
        (r"\milli\gram", "mg", 1e-6),
        (r"\degreecelsius", "degC", 1.0),
        (r"\degreeCelsius", "degC", 1.0),
        (r"\metre\per\second\tothe{2}", "m/s**2", 1.0),
        (r"\kilogram\metre\tothe{-3}", "kg/m**3", 1.0),
        (r"\joule\per\mole\per\kelvin", "J/mol/K", 1.0),
        (r"\second\tothe{-1}", "1/s", 1.0),
        (r"\milli\metre\tothe{2}", "mm**2", 1e-6),  # the prefix binds to the unit
        (r"\hecto\pascal", "hPa", 100.0),
        (r"\milli\litre", "mL", 1e-6),
        (r"\percent", "percent", 0.01),
        (r"\ppm", "ppm", 1e-6),
        (r"\micro\volt\per\volt", "uV/V", 1e-6),
        (r"\one", "", 1.0),
        # Symbols that would read as another unit are spelled out: "hbar" is the reduced
        # Planck constant, "mcd" micro-day, "kt" the knot.
        (r"\hecto\bar", "hectobar", 1e7),
        (r"\milli\candela", "millicandela", 1e-3),
        (r"\kilo\tonne", "kilotonne", 1e6),
    ],
)
def test_dsi_units_map_to_pint(dsi: str, pint_text: str, scale: float) -> None:
    from traceability.quantities import unit_info

    assert dsi_to_pint(dsi) == pint_text
    assert math.isclose(unit_info(pint_text).scale, scale, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("dsi", "reason"),
    [
        (r"\furlong", "unknown unit or prefix"),
        (r"volt", "not understood"),
        (r"|\mmHg", "not understood"),
        (r"\milli\degreecelsius", "takes no prefix"),
        (r"\milli\kilogram", "takes no prefix"),
        (r"\milli", "incomplete"),
        (r"\volt\per", "incomplete"),
        (r"\per\per\volt", "misplaced"),
        (r"\milli\kilo\volt", "two prefixes"),
        (r"\tothe{2}", "must follow a unit"),
        (r"\volt\tothe{x}", "not a number"),
        (r"\volt\tothe{0}", "not allowed"),
        ("", "incomplete"),
    ],
)
def test_bad_dsi_units_are_refused(dsi: str, reason: str) -> None:
    with pytest.raises(InvalidInputError, match=reason) as info:
        dsi_to_pint(dsi, field="here/si:unit")
    assert info.value.field == "here/si:unit"


# ------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ('xmlns:dcc="https://ptb.de/dcc"', 'xmlns:dcc="https://example.org/dcc"', "/", "not a DCC"),
        (
            f"<{ROOT} ",
            "<dcc:calibrationCertificate ",
            "/",
            "not a DCC",
        ),
        ('schemaVersion="3.2.1"', 'schemaVersion="2.4.0"', f"{ROOT}/@schemaVersion", "3.x"),
        (
            "<dcc:endPerformanceDate>2024-05-02</dcc:endPerformanceDate>",
            "",
            f"{CORE}/dcc:endPerformanceDate",
            "missing",
        ),
        (
            "<dcc:endPerformanceDate>2024-05-02</dcc:endPerformanceDate>",
            "<dcc:endPerformanceDate>02.05.2024</dcc:endPerformanceDate>",
            f"{CORE}/dcc:endPerformanceDate",
            "YYYY-MM-DD",
        ),
        (
            "<dcc:issueDate>2024-05-06</dcc:issueDate>",
            "<dcc:issueDate>2024-04-30</dcc:issueDate>",
            f"{CORE}/dcc:issueDate",
            "before the calibration date",
        ),
        (
            "<dcc:uniqueIdentifier>DCC-2024-0042</dcc:uniqueIdentifier>",
            "<dcc:uniqueIdentifier> </dcc:uniqueIdentifier>",
            f"{CORE}/dcc:uniqueIdentifier",
            "missing or empty",
        ),
        (
            "<si:coverageFactor>2</si:coverageFactor>",
            "",
            f"{SINGLE_Q}/si:real/si:expandedUnc/si:coverageFactor",
            "without its coverage factor",
        ),
        (
            "<si:uncertainty>0.00004</si:uncertainty>",
            "<si:uncertainty>-0.00004</si:uncertainty>",
            f"{SINGLE_Q}/si:real/si:expandedUnc/si:uncertainty",
            "must be >= 0",
        ),
        (
            "<si:coverageFactor>2</si:coverageFactor>",
            "<si:coverageFactor>0</si:coverageFactor>",
            f"{SINGLE_Q}/si:real/si:expandedUnc/si:coverageFactor",
            "must be > 0",
        ),
        (
            "<si:value>10.00002</si:value>\n                  <si:unit>\\volt</si:unit>",
            "<si:value>10.00002</si:value>\n                  <si:unit>\\ampere</si:unit>",
            f"{SINGLE_Q}/si:real/si:unit",
            "does not have the dimension of quantity 'DC voltage'",
        ),
        (
            "<si:value>10.00002</si:value>\n                  <si:unit>\\volt</si:unit>",
            "<si:value>10.00002</si:value>\n                  <si:unit>\\furlong</si:unit>",
            f"{SINGLE_Q}/si:real/si:unit",
            "unknown unit",
        ),
        (
            "<si:value>10.00002</si:value>",
            "<si:value>INF</si:value>",
            f"{SINGLE_Q}/si:real/si:value",
            "finite",
        ),
        (
            "<si:value>10.00002</si:value>",
            "<si:value>ten</si:value>",
            f"{SINGLE_Q}/si:real/si:value",
            "must be a number",
        ),
        (
            SINGLE_UNC,
            "<si:coverageInterval>",
            f"{SINGLE_Q}/si:real/si:coverageInterval",
            "coverage interval",
        ),
        (
            "</dcc:item>",
            "</dcc:item><dcc:item><dcc:name><dcc:content>Cable</dcc:content></dcc:name></dcc:item>",
            f"{ROOT}/dcc:administrativeData/dcc:items/dcc:item",
            "2 items",
        ),
        (
            SINGLE_UNC,
            "<si:nothing>",
            f"{ROOT}/dcc:measurementResults/dcc:measurementResult",
            "no quantity with an uncertainty",
        ),
    ],
)
def test_single_document_refusals_name_the_element(
    old: str, new: str, field: str, reason: str
) -> None:
    text = _edit(SINGLE, old, new)
    if new == "<si:coverageInterval>":
        text = _edit(text, "</si:expandedUnc>", "</si:coverageInterval>")
    if new == "<si:nothing>":
        text = _edit(text, "</si:expandedUnc>", "</si:nothing>")
    if new.startswith("<dcc:calibrationCertificate"):
        text = _edit(text, f"</{ROOT}>", "</dcc:calibrationCertificate>")
    error = _refused(text)
    assert error.field == field
    assert reason in str(error.args[0])


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        (
            "<si:coverageFactorXMLList>2</si:coverageFactorXMLList>",
            "",
            f"{LIST_Q}/si:expandedUncXMLList/si:coverageFactorXMLList",
            "without its coverage factor",
        ),
        (
            "0.002 0.004 0.006",
            "0.002 -0.004 0.006",
            f"{LIST_Q}/si:expandedUncXMLList/si:uncertaintyXMLList",
            "(entry 2)",
        ),
        (
            "0.002 0.004 0.006",
            "0.002 0.004",
            f"{LIST_Q}/si:expandedUncXMLList/si:uncertaintyXMLList",
            "2 entries for 3 values",
        ),
        (
            "<si:unitXMLList>\\milli\\volt</si:unitXMLList>",
            "<si:unitXMLList>\\milli\\volt \\volt</si:unitXMLList>",
            f"{LIST_Q}/si:unitXMLList",
            "2 units for 3 values",
        ),
        (
            "<si:unitXMLList>\\milli\\volt</si:unitXMLList>",
            "<si:unitXMLList>\\milli\\metre</si:unitXMLList>",
            f"{LIST_Q}/si:unitXMLList",
            "does not have the dimension",
        ),
        (
            "100 500.5 1000",
            "100 x 1000",
            f"{LIST_Q}/si:valueXMLList",
            "entry 2 must be a number",
        ),
        (
            "<dcc:endPerformanceDate>2024-02-12+01:00</dcc:endPerformanceDate>",
            "",
            f"{CORE}/dcc:endPerformanceDate",
            "missing",
        ),
    ],
)
def test_list_document_refusals_name_the_element(
    old: str, new: str, field: str, reason: str
) -> None:
    error = _refused(_edit(LIST, old, new))
    assert error.field == field
    assert reason in str(error.args[0])


@pytest.mark.parametrize(
    "data",
    [b"", b"not xml at all", "<a><b></a>", b"\xff\xfe<garbage", "<?xml version='1.0'?>"],
)
def test_not_xml_is_refused(data: str | bytes) -> None:
    error = _refused(data)
    assert error.field == "/"


def test_billion_laughs_is_refused_without_expansion() -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
        + "".join(
            f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">\n'
            for n in range(1, 10)
        )
        + ']>\n<dcc:digitalCalibrationCertificate xmlns:dcc="https://ptb.de/dcc">&lol9;'
        "</dcc:digitalCalibrationCertificate>"
    )
    error = _refused(bomb)
    assert error.field == "/" and "DTD" in str(error.args[0])


def test_external_entity_is_refused() -> None:
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<dcc:digitalCalibrationCertificate xmlns:dcc="https://ptb.de/dcc">&x;'
        "</dcc:digitalCalibrationCertificate>"
    )
    error = _refused(xxe)
    assert "DTD" in str(error.args[0])


def test_a_dtd_alone_is_refused() -> None:
    text = _edit(
        SINGLE,
        "<dcc:digitalCalibrationCertificate",
        "<!DOCTYPE x>\n<dcc:digitalCalibrationCertificate",
    )
    assert _refused(text).field == "/"


def test_oversized_input_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    import traceability.dcc as dcc

    monkeypatch.setattr(dcc, "MAX_DCC_BYTES", 100)
    assert "at most 100" in str(_refused(SINGLE).args[0])


# ------------------------------------------------------------------------- fuzzing


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400)))
def test_random_input_raises_only_the_project_error(data: str | bytes) -> None:
    try:
        parse_dcc(data)
    except InvalidInputError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from([SINGLE, LIST, SEVERAL]),
    start=st.integers(min_value=0, max_value=6000),
    length=st.integers(min_value=0, max_value=60),
    insert=st.text(
        alphabet=st.sampled_from(list("<>/&;\\{}-.0123456789eE xsi:dcc=\"'")), max_size=12
    ),
)
def test_garbled_dcc_raises_only_the_project_error(
    base: str, start: int, length: int, insert: str
) -> None:
    start = start % len(base)
    garbled = base[:start] + insert + base[start + length :]
    try:
        parsed = parse_dcc(garbled)
    except InvalidInputError as exc:
        assert exc.field  # every refusal names where
    else:
        for point in parsed.certificate.points:
            Point(**point.model_dump())  # whatever is accepted is a valid register point
