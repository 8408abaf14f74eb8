"""Options shared by several commands (--data, --benchmarks, --boundaries, --model, --out)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from commissioning.errors import InputError
from commissioning.needs.dataset import Dataset, load_dataset
from commissioning.safeio import write_atomic


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="data directory (default: the embedded London data in data/)")
    parser.add_argument("--benchmarks", type=Path, default=None, metavar="FILE",
                        help="need models (default: DIR/benchmarks.yaml)")
    parser.add_argument("--model", action="append", default=[], metavar="SERVICE=MODEL",
                        help="use another listed need model, e.g. idva=caseload (repeatable)")
    parser.add_argument("--area", choices=["london", "population"], default="london",
                        help="london (default): the 33 London authorities; population: the authorities "
                             "listed in DIR/population.csv (e.g. England and Wales; give --boundaries too)")
    parser.add_argument("--boundaries", type=Path, default=None, metavar="FILE",
                        help="boundary file (GeoJSON, GeoPackage, Shapefile); default boroughs_geo/")
    parser.add_argument("--code-column", default="code", help="code column of --boundaries (default: code)")


def dataset_from_args(args, adjust=None) -> Dataset:
    """The data set the options name; ``adjust(ds) -> ds`` (e.g. provision as of a quarter) runs
    before the illustrative notice is printed, so the notice describes what is used."""
    ds = load_dataset(args.data, benchmarks=args.benchmarks,
                      authorities="population" if args.area == "population" else None)
    choice = {}
    for item in args.model:
        if "=" not in item:
            raise InputError(f"--model {item!r}", expected="SERVICE=MODEL, e.g. idva=caseload")
        service, model = (s.strip() for s in item.split("=", 1))
        choice[service] = model
    if choice:
        ds = ds.with_benchmarks(ds.benchmarks.with_models(choice))
    if args.boundaries is not None or args.area != "london":
        boundaries_from_args(args, ds)
    if adjust is not None:
        ds = adjust(ds)
    if getattr(args, "format", "table") != "table":
        # Machine formats have fixed columns, so the illustrative mark goes to stderr instead.
        from commissioning.publish.text import estimated_notice, illustrative_notice

        for notice in (illustrative_notice(ds), estimated_notice(ds)):
            if notice:
                print(notice, file=sys.stderr)
    return ds


def boundaries_from_args(args, ds: Dataset):
    """The boundaries named by --boundaries (default: the shipped London ones), checked against the
    data's authorities; loaded once per command."""
    if getattr(args, "_boundaries", None) is None:
        from commissioning.paths import DEFAULT_BOUNDARIES
        from commissioning.spatial.geo import check_codes, load_boundaries

        boundaries = load_boundaries(args.boundaries, code_column=args.code_column)
        check_codes(boundaries, ds.authorities, file=args.boundaries or DEFAULT_BOUNDARIES)
        args._boundaries = boundaries
    return args._boundaries


def parse_date(text: str | None, option: str) -> dt.date | None:
    """``option``'s YYYY-MM-DD value as a date (None when not given); anything else is an InputError."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date", expected="YYYY-MM-DD") from None


MAX_STORE_ID = 2 ** 31 - 1   # the largest id both store backends hold (PostgreSQL INTEGER)


def store_id(text: str) -> int:
    """An argparse type: a record id in the store (a whole number from 1 to :data:`MAX_STORE_ID`)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_STORE_ID:
        raise argparse.ArgumentTypeError(f"{text} is not an id in the store (1 to {MAX_STORE_ID:,})")
    return value


def now(env=None) -> dt.datetime | None:
    """The clock from ``COMMISSIONING_NOW`` (None: the real clock)."""
    from commissioning.procurement.lifecycle import now_from_env

    return now_from_env(env if env is not None else os.environ)


def run_on_store(args, actions: dict) -> int:
    """Run ``actions[args.action](store, args, clock)`` on the store ``--db`` names (default: the
    app's, COMMISSIONING_DB), with the clock ``COMMISSIONING_NOW`` gives (None: the real one)."""
    from commissioning.store import open_store
    from commissioning.web.appdata import db_location

    store = open_store(args.db or db_location())
    try:
        return actions[args.action](store, args, now())
    finally:
        store.close()


def write_output(text: str, out: Path | None) -> None:
    """Write to --out atomically (:func:`commissioning.safeio.write_atomic`), or to stdout."""
    if out is None:
        sys.stdout.write(text)
        return
    write_atomic(out, text)
    print(f"wrote {out}", file=sys.stderr)


def read_named_store(read, *, required: bool = False):
    """``read(store)`` on the store named by COMMISSIONING_DB; None when the variable is not set (an
    output does not depend on whatever store happens to be in the working folder) unless
    ``required`` (``--quarter`` or ``--as-of`` asks for it: the default store is opened)."""
    from commissioning.store import open_store
    from commissioning.web.appdata import DB_ENV, db_location

    if not required and not os.environ.get(DB_ENV, "").strip():
        return None
    store = open_store(db_location())
    try:
        return read(store)
    finally:
        store.close()


def _store_inputs(required: bool, day):
    """(approved returns, contract capacity on ``day``) from the store (:func:`read_named_store`);
    (None, None) without one."""
    found = read_named_store(lambda store: (store.approved_returns(),
                                            store.contract_capacity_on(day) if day is not None else None),
                             required=required)
    return found or (None, None)


def approved_returns(required: bool = False):
    """Approved provider returns from the store named by COMMISSIONING_DB (see :func:`_store_inputs`)."""
    return _store_inputs(required, None)[0]


def assessment_from_args(args, lines: list[str] | None = None):
    """The needs assessment the options name, on the one provision resolver
    (``returns.provision.resolve_provision``: with ``--as-of`` the contracts in place that day first;
    approved returns of ``--quarter``, or of the latest
    quarter, from COMMISSIONING_DB; then the register). ``lines`` receives the words naming each
    service type's source when returns are used or a quarter is asked for."""
    from commissioning.needs.assessment import run_assessment
    from commissioning.returns.provision import (
        RETURNS,
        provenance_lines,
        resolve_provision,
    )

    quarter = getattr(args, "quarter", None)
    as_of = getattr(args, "as_of", None)
    if quarter and as_of:
        raise InputError("give --quarter or --as-of, not both", expected="one of them")
    day = parse_date(as_of, "--as-of")
    found: dict = {}

    def resolve(ds):
        approved, contracts = _store_inputs(quarter is not None or day is not None, day)
        resolved, sources = resolve_provision(ds, approved, quarter, contracts=contracts, day=day)
        found.update(sources)
        return resolved

    ds = dataset_from_args(args, adjust=resolve)
    used = next((p.quarter for p in found.values() if p.source == RETURNS), None)
    when = day.isoformat() if day is not None else (quarter or used)
    if lines is not None and when:
        lines += [f"Provision as of {when}:"] + [f"  {line}" for line in provenance_lines(found, ds)]
        if getattr(args, "format", "table") != "table":
            print("\n".join(lines), file=sys.stderr)
    return run_assessment(ds, provision={s: p.label for s, p in found.items()}), found


def open_existing_store(location: str):
    """The store at ``location`` (a SQLite path or SQLAlchemy URL) that must exist already; a
    missing file, a file that is not a database or a server that cannot be reached is an
    InputError naming the location (the password of a URL hidden)."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from commissioning.store import open_store

    shown = location
    if "://" in location:
        try:
            from sqlalchemy.engine import make_url

            shown = make_url(location).render_as_string(hide_password=True)
        except ArgumentError:
            raise InputError("not a database URL", column="--db",
                             expected="a SQLite file or a SQLAlchemy URL such as postgresql+psycopg://...") from None
    elif not Path(location).expanduser().is_file():
        raise InputError(f"no store at {location}", column="--db",
                         expected="the SQLite file or SQLAlchemy URL of an existing store")
    try:
        return open_store(location)
    except (DBAPIError, NoSuchModuleError, ArgumentError) as err:
        reason = getattr(err, "orig", None) or err
        first = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
        raise InputError(f"cannot open the store at {shown}: {first}", column="--db",
                         expected="the SQLite file or SQLAlchemy URL of an existing store") from None
