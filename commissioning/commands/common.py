"""Options shared by several commands (--data, --benchmarks, --boundaries, --model, --out)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commissioning.errors import InputError
from commissioning.needs.dataset import Dataset, load_dataset


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


def write_output(text: str, out: Path | None) -> None:
    """Write to --out atomically (temp file + rename), or to stdout."""
    if out is None:
        sys.stdout.write(text)
        return
    out = Path(out)
    if not out.parent.exists():
        raise InputError("output folder does not exist", file=out.parent)
    if out.is_dir():
        raise InputError("is a folder, not a file to write", file=out)
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except OSError as err:
        if tmp.parent.is_dir():
            tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write: {err.strerror}", file=out) from None
    print(f"wrote {out}", file=sys.stderr)


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
