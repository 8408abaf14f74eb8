"""python -m commissioning import FORMAT FILE [options]: replace data/ tables with real-format files.

    import mps-crime FILE [--months 12] [--end YYYYMM]            -> DIR/demand.csv (sexual_offences, rape_offences)
    import mps-crime FILE --series                                -> DIR/series/mps_sexual_offences_monthly.csv
    import mps-vawg FILE [--months 12] [--end YYYY-MM] [--as-domestic-abuse]
                                                                  -> DIR/demand.csv (vawg_offences, vawg_victims)
    import mps-vawg FILE --series                                 -> DIR/series/mps_vawg_monthly.csv
    import safelives-marac FILE [--year 2024-25] [--base-series FILE] [--base-measure M]
                                                                  -> DIR/demand.csv (marac_cases, estimated)
    import ons-population FILE [--year Y] [--population-column C] [--adult-women-column C] [--code-column C]
                                                                  -> DIR/population.csv
    import services FILE [--publisher P] [--period P] [--licence L] -> DIR/services.csv

Every format takes --data DIR (default data/), --out FILE (write there instead of DIR) and
--dry-run (print what would change, write nothing). An import into DIR also updates the citations
in DIR/sources.yaml (the importer's source, with the period imported; sources the new file no
longer uses are dropped or narrowed) in the same all-or-nothing write; with --out, sources.yaml
is left alone. (The command module is named ``importer`` because ``import`` is a Python keyword.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from commissioning.needs import importers
from commissioning.paths import DEFAULT_DATA_DIR


def _common(parser, months: bool = False) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="the file to import (read only)")
    if months:
        parser.add_argument("--months", type=int, default=12, help="length of the window in months (default 12)")
        parser.add_argument("--end", default=None, metavar="YYYYMM",
                            help="last month of the window (default: the latest month in the file)")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="data directory to update (default: the embedded data/)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="write the new table to FILE instead of replacing it in DIR "
                             "(DIR/sources.yaml is then not updated)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would change in the table and in sources.yaml; write nothing")


def _series_option(parser) -> None:
    parser.add_argument("--series", action="store_true",
                        help="write every month of the file to DIR/series/ (the monthly series behind trends "
                             "and forecasts) instead of a window summed into demand.csv")


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="format", metavar="FORMAT")
    sub.required = True
    p = sub.add_parser("mps-crime", help="London Datastore 'MPS Borough Level Crime' CSV -> sexual and rape offences")
    _common(p, months=True)
    _series_option(p)
    p.set_defaults(_import=_mps_crime)
    p = sub.add_parser("mps-vawg", help="MPS VAWG offences and victims by borough and month -> demand.csv")
    _common(p, months=True)
    p.add_argument("--as-domestic-abuse", action="store_true",
                   help="also write the VAWG offences as domestic_abuse_offences (a labelled proxy)")
    _series_option(p)
    p.set_defaults(_import=_mps_vawg)
    p = sub.add_parser("safelives-marac", help="SafeLives force Marac totals -> estimated marac_cases by borough")
    _common(p)
    p.add_argument("--year", default="2024-25", help="financial year of the SafeLives figures (default 2024-25)")
    p.add_argument("--base-series", type=Path, default=None, metavar="FILE",
                   help="monthly series of the borough base (default DIR/series/mps_vawg_monthly.csv)")
    p.add_argument("--base-measure", default="vawg_offences", help="measure of --base-series (default vawg_offences)")
    p.set_defaults(_import=_safelives_marac)
    p = sub.add_parser("ons-population", help="ONS population table by authority -> population.csv")
    _common(p)
    p.add_argument("--code-column", default=None, help="column of ONS codes (default: guessed)")
    p.add_argument("--name-column", default=None, help="column of authority names (default: guessed)")
    p.add_argument("--population-column", default=None, help="column of total population (default: guessed)")
    p.add_argument("--adult-women-column", default=None,
                   help="column of adult women (female 15+/16+); without it adult_women is kept from DIR")
    p.add_argument("--year", type=int, default=None, help="year of the estimates (picks the column with it)")
    p.set_defaults(_import=_ons_population)
    p = sub.add_parser("services", help="services register (CSV/XLSX) -> services.csv")
    _common(p)
    p.add_argument("--publisher", default=None, help="who publishes the register (cited in sources.yaml)")
    p.add_argument("--period", default=None, help="the date or period the register describes, e.g. 'April 2026'")
    p.add_argument("--licence", default=None, help="the register's licence, e.g. 'Open Government Licence v3.0'")
    p.set_defaults(_import=_services)


def _data_dir(args) -> Path:
    return args.data if args.data is not None else DEFAULT_DATA_DIR


def _mps_crime(args) -> importers.Import:
    if args.series:
        from commissioning.demand.imports import CRIME_FILE, crime_series

        return crime_series(args.file, _data_dir(args) / CRIME_FILE)
    update = importers.mps_crime(args.file, months=args.months, end=args.end)
    return importers.merge_demand(update, _data_dir(args) / "demand.csv")


def _mps_vawg(args) -> importers.Import:
    if args.series:
        from commissioning.demand.imports import VAWG_FILE, vawg_series

        return vawg_series(args.file, _data_dir(args) / VAWG_FILE)
    update = importers.mps_vawg(args.file, months=args.months, end=args.end, as_domestic_abuse=args.as_domestic_abuse)
    return importers.merge_demand(update, _data_dir(args) / "demand.csv")


def _safelives_marac(args) -> importers.Import:
    from commissioning.boroughs import LONDON_AUTHORITIES
    from commissioning.demand.imports import VAWG_FILE
    from commissioning.demand.marac import marac_update
    from commissioning.demand.series import read_series

    base = args.base_series if args.base_series is not None else _data_dir(args) / VAWG_FILE
    update = marac_update(args.file, read_series(base, LONDON_AUTHORITIES), year=args.year, measure=args.base_measure)
    return importers.merge_demand(update, _data_dir(args) / "demand.csv")


def _ons_population(args) -> importers.Import:
    return importers.ons_population(args.file, _data_dir(args) / "population.csv", code_column=args.code_column,
                                    name_column=args.name_column, population_column=args.population_column,
                                    adult_women_column=args.adult_women_column, year=args.year)


def _services(args) -> importers.Import:
    data = _data_dir(args)
    return importers.services_register(args.file, data / "benchmarks.yaml", data / "services.csv",
                                       publisher=args.publisher, period=args.period, licence=args.licence)


def run(args) -> int:
    result = args._import(args)
    for note in result.notes:
        print(note, file=sys.stderr)
    target = args.out if args.out is not None else _data_dir(args) / result.file_name
    sources = None if args.out is not None else _data_dir(args) / "sources.yaml"
    if args.dry_run:
        print("\n".join(result.changes) if result.changes else "no changes to existing rows")
        if sources is not None:
            lines = importers.source_changes(*importers.updated_sources(result, sources))
            print("\n".join(lines) if lines else "sources.yaml: no changes")
        print(f"dry run: {target}" + (f" and {sources}" if sources else "") + " not written", file=sys.stderr)
        return 0
    if args.out is None and target.parent.parent.is_dir():
        target.parent.mkdir(exist_ok=True)  # DIR/series/ on a first series import
    importers.write_import(result, target, sources)
    print(f"wrote {target}" + (f" and updated {sources}" if sources else
                               " (sources.yaml not updated: cite the new figures yourself)"), file=sys.stderr)
    return 0
