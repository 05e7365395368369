"""`calib lab`: the lab and its sites, staff, competence, authorisations, customers,
procedures and jobs.

* ``calib lab init --name --site-code --site-name [--legal-entity]
  [--accreditation-body --accreditation-number]`` (once per database)
* ``calib lab update-lab [--name --legal-entity --accreditation-body --accreditation-number]``
* ``calib lab add-site --code --name [--master] [--street --city --postcode --country]``
* ``calib lab update-site SITE [--code --name --street --city --postcode --country] [--master]``
* ``calib lab add-person --name --site [--email] [--job-title]``
* ``calib lab add-training --person --title --completed-on [--provider]``
* ``calib lab authorise --person --procedure --from --until [--by]``
* ``calib lab withdraw-authorisation ID [--on DATE]``
* ``calib lab add-customer --name [--contact-name --contact-email --city --country]``
* ``calib lab add-procedure --code --title [--quantity] [--effective-from DATE]``
* ``calib lab revise-procedure --code [--title] [--effective-from DATE]``
* ``calib lab log-job --site --customer --procedure --item --received --due --performer
  [--authoriser] [--instrument CODE ...]``
* ``calib lab list-sites|list-people|list-authorisations|list-customers|list-procedures|list-jobs [--json]``
* ``calib lab matrix [--as-of] [--site] [--json]``

People, sites, customers and procedures are given by id or by their code or exact name.
Exit 0 ok, 2 bad input naming the field; a refused command stores nothing (one
transaction per command). The services are imported inside each command (start-up speed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer

from calib.cli_support import cli_errors, cli_operator, dump_json, echo_created

app = typer.Typer(
    help="Lab records: staff, authorisations, customers, procedures, jobs.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")


def _day(text: str | None, option: str, field: str | None = None) -> dt.date:
    """``text`` as a date (``None``: today); bad text names ``--option`` and the field."""
    from uncertainty.errors import InvalidInputError

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(
            f"--{option.replace('_', '-')} must be a date YYYY-MM-DD, got {text!r}",
            field=field or option,
        ) from exc


def _find(session: Any, model: Any, text: str, option: str, *attributes: str) -> int:
    """The id of the one row whose id or one of ``attributes`` equals ``text``."""
    from sqlmodel import select

    from uncertainty.errors import InvalidInputError

    found = {
        int(row.id)
        for row in session.exec(select(model))
        if str(row.id) == text.strip() or any(getattr(row, a) == text.strip() for a in attributes)
    }
    if not found:
        raise InvalidInputError(f"--{option}: no {model.__tablename__} {text!r}", field=option)
    if len(found) > 1:
        raise InvalidInputError(
            f"--{option}: {text!r} names {len(found)} records; give the id", field=option
        )
    return found.pop()


def _procedure_id(session: Any, code: str, option: str = "procedure") -> int:
    """The id of procedure ``code`` (its latest version) or of the id ``code``."""
    from sqlmodel import col, select

    from calib.records import Procedure

    versions = list(
        session.exec(
            select(Procedure).where(Procedure.code == code).order_by(col(Procedure.version))
        )
    )
    if versions:
        return int(versions[-1].id or 0)
    return _find(session, Procedure, code, option)


@app.command("add-person")
@cli_errors
def add_person(
    name: str = typer.Option(..., "--name", help="Full name."),
    site: str = typer.Option(..., "--site", help="Site code or id."),
    email: str = typer.Option("", "--email", help="E-mail address."),
    job_title: str = typer.Option("", "--job-title", help="Job title."),
    json_output: bool = _JSON,
) -> None:
    """Add a member of staff (ISO/IEC 17025:2017 6.2.1)."""
    from calib.db import ensure_database, session_scope
    from calib.lab_personnel import create_person
    from calib.records import Site

    with session_scope(ensure_database()) as session:
        person = create_person(
            session,
            cli_operator(),
            site_id=_find(session, Site, site, "site", "code"),
            name=name,
            email=email,
            job_title=job_title,
        )
        echo_created(json_output, "person", person, f"added {person.name} (id {person.id})")


@app.command("add-training")
@cli_errors
def add_training(
    person: str = typer.Option(..., "--person", help="Person id or exact name."),
    title: str = typer.Option(..., "--title", help="Course or training title."),
    completed_on: str = typer.Option(..., "--completed-on", help="YYYY-MM-DD."),
    provider: str = typer.Option("", "--provider", help="Who gave it."),
    json_output: bool = _JSON,
) -> None:
    """Record competence evidence: a completed training (6.2.5 c)."""
    from calib.db import ensure_database, session_scope
    from calib.lab_personnel import record_training
    from calib.records import Person

    day = _day(completed_on, "completed_on")
    with session_scope(ensure_database()) as session:
        training = record_training(
            session,
            cli_operator(),
            person_id=_find(session, Person, person, "person", "name"),
            title=title,
            completed_on=day,
            provider=provider,
        )
        echo_created(json_output, "training", training, f"recorded training {training.id}")


@app.command("authorise")
@cli_errors
def authorise(
    person: str = typer.Option(..., "--person", help="Person id or exact name."),
    procedure: str = typer.Option(..., "--procedure", help="Procedure code or id."),
    valid_from: str = typer.Option(..., "--from", help="First valid day YYYY-MM-DD."),
    valid_until: str = typer.Option(..., "--until", help="Last valid day YYYY-MM-DD."),
    by: str | None = typer.Option(None, "--by", help="Authorising person (id or name)."),
    json_output: bool = _JSON,
) -> None:
    """Authorise a person for a procedure code over a period (6.2.5 f, 6.2.6)."""
    from calib.db import ensure_database, session_scope
    from calib.lab_personnel import grant_authorisation
    from calib.records import Person

    start, end = _day(valid_from, "from", "valid_from"), _day(valid_until, "until", "valid_until")
    with session_scope(ensure_database()) as session:
        auth = grant_authorisation(
            session,
            cli_operator(),
            person_id=_find(session, Person, person, "person", "name"),
            procedure_id=_procedure_id(session, procedure),
            valid_from=start,
            valid_until=end,
            authorised_by_id=None if by is None else _find(session, Person, by, "by", "name"),
        )
        echo_created(
            json_output,
            "authorisation",
            auth,
            f"authorisation {auth.id}: {person} for {procedure} from {start} to {end}",
        )


@app.command("withdraw-authorisation")
@cli_errors
def withdraw(
    authorisation_id: int = typer.Argument(..., help="Authorisation id (see list-authorisations)."),
    on: str | None = typer.Option(None, "--on", help="Not valid from this day (default: today)."),
    json_output: bool = _JSON,
) -> None:
    """Withdraw an authorisation: it ends the day before ``--on``."""
    from calib.db import ensure_database, session_scope
    from calib.lab_personnel import withdraw_authorisation

    day = _day(on, "on")
    with session_scope(ensure_database()) as session:
        auth = withdraw_authorisation(session, cli_operator(), authorisation_id, withdrawn_on=day)
        if json_output:
            dump_json({"updated": "authorisation", "record": auth.model_dump(mode="json")})
        else:
            typer.echo(f"authorisation {auth.id} now ends on {auth.valid_until}")


@app.command("add-customer")
@cli_errors
def add_customer(
    name: str = typer.Option(..., "--name", help="Customer name (unique)."),
    contact_name: str = typer.Option("", "--contact-name"),
    contact_email: str = typer.Option("", "--contact-email"),
    city: str = typer.Option("", "--city"),
    country: str = typer.Option("", "--country"),
    json_output: bool = _JSON,
) -> None:
    """Add a customer (ISO/IEC 17025:2017 7.1)."""
    from calib.db import ensure_database, session_scope
    from calib.lab import create_customer

    with session_scope(ensure_database()) as session:
        customer = create_customer(
            session,
            cli_operator(),
            name=name,
            contact_name=contact_name,
            contact_email=contact_email,
            city=city,
            country=country,
        )
        echo_created(json_output, "customer", customer, f"added {customer.name} (id {customer.id})")


_EFFECTIVE = typer.Option(
    None, "--effective-from", help="Approve it, in force from YYYY-MM-DD (omit: stays draft)."
)


@app.command("add-procedure")
@cli_errors
def add_procedure(
    code: str = typer.Option(..., "--code", help="Procedure code (new)."),
    title: str = typer.Option(..., "--title", help="Title."),
    quantity: str = typer.Option("", "--quantity", help="e.g. mass, voltage."),
    effective_from: str | None = _EFFECTIVE,
    json_output: bool = _JSON,
) -> None:
    """Add version 1 of a procedure (7.2.1), as a draft or approved."""
    from calib.db import ensure_database, session_scope
    from calib.lab import approve_procedure, create_procedure

    day = None if effective_from is None else _day(effective_from, "effective_from")
    with session_scope(ensure_database()) as session:
        proc = create_procedure(session, cli_operator(), code=code, title=title, quantity=quantity)
        if day is not None:
            proc = approve_procedure(session, cli_operator(), int(proc.id or 0), effective_from=day)
        echo_created(
            json_output, "procedure", proc, f"added {proc.code} v{proc.version} ({proc.status})"
        )


@app.command("revise-procedure")
@cli_errors
def revise_procedure_command(
    code: str = typer.Option(..., "--code", help="Procedure code."),
    title: str | None = typer.Option(None, "--title", help="New title (omit: unchanged)."),
    effective_from: str | None = _EFFECTIVE,
    json_output: bool = _JSON,
) -> None:
    """Add the next version of a procedure (7.2.1.5), as a draft or approved."""
    from calib.db import ensure_database, session_scope
    from calib.lab import approve_procedure, revise_procedure

    day = None if effective_from is None else _day(effective_from, "effective_from")
    with session_scope(ensure_database()) as session:
        proc = revise_procedure(
            session, cli_operator(), _procedure_id(session, code, "code"), title=title
        )
        if day is not None:
            proc = approve_procedure(session, cli_operator(), int(proc.id or 0), effective_from=day)
        echo_created(
            json_output, "procedure", proc, f"added {proc.code} v{proc.version} ({proc.status})"
        )


@app.command("log-job")
@cli_errors
def log_job_command(
    site: str = typer.Option(..., "--site", help="Site code or id."),
    customer: str = typer.Option(..., "--customer", help="Customer id or exact name."),
    procedure: str = typer.Option(..., "--procedure", help="Procedure code."),
    item: str = typer.Option(..., "--item", help="Item description."),
    received: str = typer.Option(..., "--received", help="Job date YYYY-MM-DD."),
    due: str = typer.Option(..., "--due", help="Due date YYYY-MM-DD."),
    performer: str = typer.Option(..., "--performer", help="Performed by (id or name)."),
    authoriser: str | None = typer.Option(None, "--authoriser", help="Authorised by."),
    serial: str = typer.Option("", "--serial", help="Item serial number."),
    instruments: list[str] = typer.Option(
        [], "--instrument", help="Asset-register code of an instrument used (repeat)."
    ),
    json_output: bool = _JSON,
) -> None:
    """Log a job; refused when the procedure is not in force, a person is not authorised or
    an instrument is not usable on the job date."""
    from calib.db import ensure_database, session_scope
    from calib.lab import log_job, version_in_force
    from calib.records import Customer, Person, Site

    received_on, due_on = _day(received, "received", "received_on"), _day(due, "due", "due_on")
    with session_scope(ensure_database()) as session:
        job = log_job(
            session,
            cli_operator(),
            site_id=_find(session, Site, site, "site", "code"),
            customer_id=_find(session, Customer, customer, "customer", "name"),
            procedure_id=int(
                version_in_force(session, cli_operator(), procedure, received_on).id or 0
            ),
            item_description=item,
            item_serial=serial,
            received_on=received_on,
            due_on=due_on,
            performed_by_id=_find(session, Person, performer, "performer", "name"),
            authorised_by_id=None
            if authoriser is None
            else _find(session, Person, authoriser, "authoriser", "name"),
            instrument_codes=instruments,
        )
        if json_output:
            record = job.model_dump(mode="json") | {"instruments": list(dict.fromkeys(instruments))}
            dump_json({"created": "job", "record": record})
        else:
            typer.echo(f"logged job {job.id} ({item}, {received_on})")


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        typer.echo("(none)")
        return
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    typer.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        typer.echo("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


def _print(json_output: bool, key: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
    if json_output:
        dump_json({key: rows})
    else:
        _table(rows, columns)


@app.command("list-people")
@cli_errors
def list_people_command(
    site: str | None = typer.Option(None, "--site", help="Site code or id (default: all)."),
    json_output: bool = _JSON,
) -> None:
    """Staff with their site and active flag."""
    from calib.db import ensure_database, session_scope
    from calib.lab import list_people, list_sites
    from calib.records import Site

    with session_scope(ensure_database()) as session:
        site_id = None if site is None else _find(session, Site, site, "site", "code")
        codes = {s.id: s.code for s in list_sites(session, cli_operator())}
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "site": codes.get(p.site_id, ""),
                "job_title": p.job_title,
                "email": p.email,
                "active": p.active,
            }
            for p in list_people(session, cli_operator(), site_id=site_id)
        ]
    _print(json_output, "people", rows, ["id", "name", "site", "job_title", "active"])


@app.command("list-authorisations")
@cli_errors
def list_authorisations_command(
    person: str | None = typer.Option(None, "--person", help="Person id or exact name."),
    procedure: str | None = typer.Option(None, "--procedure", help="Procedure code."),
    as_of: str | None = typer.Option(None, "--as-of", help="State on YYYY-MM-DD (default: today)."),
    current: bool = typer.Option(False, "--current", help="Only those valid on --as-of."),
    json_output: bool = _JSON,
) -> None:
    """Authorisations with their state (current, future, ended) on ``--as-of``."""
    from calib.db import ensure_database, session_scope
    from calib.lab_personnel import list_authorisations
    from calib.records import Person

    day = _day(as_of, "as_of")
    with session_scope(ensure_database()) as session:
        found = list_authorisations(
            session,
            cli_operator(),
            person_id=None if person is None else _find(session, Person, person, "person", "name"),
            procedure_code=procedure,
            as_of=day if current else None,
        )
    rows = [row.as_dict(day) for row in found]
    _print(
        json_output,
        "authorisations",
        rows,
        ["id", "person", "procedure", "valid_from", "valid_until", "state"],
    )


@app.command("matrix")
@cli_errors
def matrix(
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)."),
    site: str | None = typer.Option(None, "--site", help="Site code or id (default: all)."),
    json_output: bool = _JSON,
) -> None:
    """Procedure × person: who is authorised on ``--as-of``."""
    from calib.db import ensure_database, session_scope
    from calib.lab_personnel import authorisation_matrix
    from calib.records import Site

    day = _day(as_of, "as_of")
    with session_scope(ensure_database()) as session:
        site_id = None if site is None else _find(session, Site, site, "site", "code")
        result = authorisation_matrix(session, cli_operator(), as_of=day, site_id=site_id)
    if json_output:
        dump_json(result.as_dict())
        return
    rows = [
        {k: ("yes" if k != "person" and v else v or "-") for k, v in row.items()}
        for row in result.table()
    ]
    _table(rows, ["person", *(code for code, _ in result.procedures)])


@app.command("list-customers")
@cli_errors
def list_customers_command(json_output: bool = _JSON) -> None:
    """Customers by name."""
    from calib.db import ensure_database, session_scope
    from calib.lab import list_customers

    with session_scope(ensure_database()) as session:
        rows = [c.model_dump(mode="json") for c in list_customers(session, cli_operator())]
    _print(json_output, "customers", rows, ["id", "name", "contact_email", "city", "country"])


@app.command("list-procedures")
@cli_errors
def list_procedures_command(json_output: bool = _JSON) -> None:
    """Procedures with version, status and effective date."""
    from calib.db import ensure_database, session_scope
    from calib.lab import list_procedures

    with session_scope(ensure_database()) as session:
        rows = [p.model_dump(mode="json") for p in list_procedures(session, cli_operator())]
    _print(
        json_output,
        "procedures",
        rows,
        ["id", "code", "version", "status", "effective_from", "title"],
    )


@app.command("list-jobs")
@cli_errors
def list_jobs_command(
    site: str | None = typer.Option(None, "--site", help="Site code or id."),
    procedure: str | None = typer.Option(None, "--procedure", help="Procedure code."),
    received_from: str | None = typer.Option(None, "--from", help="Received on or after."),
    received_until: str | None = typer.Option(None, "--until", help="Received before."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many (newest first)."),
    json_output: bool = _JSON,
) -> None:
    """Jobs, newest first."""
    from calib.db import ensure_database, session_scope
    from calib.lab import instruments_by_job, list_jobs
    from calib.records import Site

    start = None if received_from is None else _day(received_from, "from")
    end = None if received_until is None else _day(received_until, "until")
    with session_scope(ensure_database()) as session:
        found = list_jobs(
            session,
            cli_operator(),
            site_id=None if site is None else _find(session, Site, site, "site", "code"),
            received_from=start,
            received_until=end,
            procedure_code=procedure,
        )
        used = instruments_by_job(session, cli_operator(), [int(j.id or 0) for j in found[:limit]])
        rows = [
            job.model_dump(mode="json") | {"instruments": used[int(job.id or 0)]}
            for job in found[:limit]
        ]
    _print(
        json_output,
        "jobs",
        rows,
        ["id", "received_on", "procedure_id", "item_description", "performed_by_id", "status"],
    )


# --------------------------------------------------------------------------- lab and sites

_ADDRESS = {
    "street": typer.Option("", "--street", help="Street and number."),
    "city": typer.Option("", "--city", help="City."),
    "postcode": typer.Option("", "--postcode", help="Postcode."),
    "country": typer.Option("", "--country", help="Country (e.g. FR)."),
}


@app.command("init")
@cli_errors
def init_lab(
    name: str = typer.Option(..., "--name", help="Name of the laboratory."),
    site_code: str = typer.Option(..., "--site-code", help="Code of the master site, e.g. MAIN."),
    site_name: str = typer.Option(..., "--site-name", help="Name of the master site."),
    legal_entity: str = typer.Option("", "--legal-entity", help="Legal entity (17025 5.1)."),
    accreditation_body: str = typer.Option("", "--accreditation-body", help="e.g. COFRAC."),
    accreditation_number: str = typer.Option("", "--accreditation-number", help="e.g. 2-1234."),
    json_output: bool = _JSON,
) -> None:
    """Create the lab and its master site in an empty database (once)."""
    from calib.db import ensure_database, session_scope
    from calib.lab_setup import create_lab, create_site

    with session_scope(ensure_database()) as session:
        lab = create_lab(
            session,
            cli_operator(),
            name=name,
            legal_entity=legal_entity,
            accreditation_body=accreditation_body,
            accreditation_number=accreditation_number,
        )
        site = create_site(session, cli_operator(), code=site_code, name=site_name)
        if json_output:
            dump_json(
                {
                    "created": "lab",
                    "record": lab.model_dump(mode="json"),
                    "site": site.model_dump(mode="json"),
                }
            )
        else:
            typer.echo(f"created lab {lab.name} (id {lab.id}) with master site {site.code}")


@app.command("update-lab")
@cli_errors
def update_lab_command(
    name: str | None = typer.Option(None, "--name", help="New name."),
    legal_entity: str | None = typer.Option(None, "--legal-entity", help="Legal entity."),
    accreditation_body: str | None = typer.Option(None, "--accreditation-body"),
    accreditation_number: str | None = typer.Option(None, "--accreditation-number"),
    json_output: bool = _JSON,
) -> None:
    """Change the lab's name, legal entity or accreditation."""
    from calib.db import ensure_database, session_scope
    from calib.lab_setup import update_lab
    from uncertainty.errors import InvalidInputError

    given = {"name": name, "legal_entity": legal_entity}
    given |= {
        "accreditation_body": accreditation_body,
        "accreditation_number": accreditation_number,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes:
        raise InvalidInputError("nothing to change: give at least one option", field="lab")
    with session_scope(ensure_database()) as session:
        lab = update_lab(session, cli_operator(), changes)
        echo_created(json_output, "lab", lab, f"saved {', '.join(changes)} of lab {lab.name}")


@app.command("add-site")
@cli_errors
def add_site(
    code: str = typer.Option(..., "--code", help="Site code (unique), e.g. NORTH."),
    name: str = typer.Option(..., "--name", help="Site name."),
    master: bool = typer.Option(False, "--master", help="Make it the master site."),
    street: str = _ADDRESS["street"],
    city: str = _ADDRESS["city"],
    postcode: str = _ADDRESS["postcode"],
    country: str = _ADDRESS["country"],
    json_output: bool = _JSON,
) -> None:
    """Add a site (the first site, or one given --master, is the master site)."""
    from calib.db import ensure_database, session_scope
    from calib.lab_setup import create_site

    with session_scope(ensure_database()) as session:
        site = create_site(
            session, cli_operator(), code=code, name=name, master=master,
            street=street, city=city, postcode=postcode, country=country,
        )  # fmt: skip
        role = "master site" if site.is_master else "site"
        echo_created(json_output, "site", site, f"added {role} {site.code} (id {site.id})")


@app.command("update-site")
@cli_errors
def update_site_command(
    site: str = typer.Argument(..., help="Site code or id."),
    code: str | None = typer.Option(None, "--code", help="New code."),
    name: str | None = typer.Option(None, "--name", help="New name."),
    street: str | None = typer.Option(None, "--street", help="Street and number."),
    city: str | None = typer.Option(None, "--city", help="City."),
    postcode: str | None = typer.Option(None, "--postcode", help="Postcode."),
    country: str | None = typer.Option(None, "--country", help="Country."),
    master: bool = typer.Option(False, "--master", help="Make it the master site."),
    json_output: bool = _JSON,
) -> None:
    """Change a site; --master moves the master flag to it."""
    from calib.db import ensure_database, session_scope
    from calib.lab_setup import update_site
    from calib.records import Site
    from uncertainty.errors import InvalidInputError

    given = {"code": code, "name": name, "street": street, "city": city}
    given |= {"postcode": postcode, "country": country}
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if master:
        changes["is_master"] = True
    if not changes:
        raise InvalidInputError("nothing to change: give at least one option", field="site")
    with session_scope(ensure_database()) as session:
        found = update_site(
            session, cli_operator(), _find(session, Site, site, "site", "code"), changes
        )
        echo_created(json_output, "site", found, f"saved site {found.code} (id {found.id})")


@app.command("list-sites")
@cli_errors
def list_sites_command(json_output: bool = _JSON) -> None:
    """Sites, the master site first."""
    from calib.db import ensure_database, session_scope
    from calib.lab import list_sites

    with session_scope(ensure_database()) as session:
        rows = [s.model_dump(mode="json") for s in list_sites(session, cli_operator())]
    _print(json_output, "sites", rows, ["id", "code", "is_master", "name", "city", "country"])
