"""python -m commissioning access --service idva [--radius-km 10] [--decay gaussian|step|none]
[--demand FILE --population-column COL] [--format table|csv] [--out FILE]"""

from __future__ import annotations

import geopandas as gpd

from commissioning.commands.common import (
    add_data_arguments,
    boundaries_from_args,
    dataset_from_args,
    write_output,
)
from commissioning.errors import InputError
from commissioning.publish.text import estimated_notice, illustrative_notice
from commissioning.safeio import csv_text
from commissioning.spatial.layers import service_access


def add_arguments(parser) -> None:
    add_data_arguments(parser)
    parser.add_argument("--service", required=True, help="service type, e.g. idva")
    parser.add_argument("--radius-km", type=float, default=10.0, help="catchment radius in km (default 10)")
    parser.add_argument("--decay", choices=["gaussian", "step", "none"], default="gaussian",
                        help="distance decay inside the catchment (default gaussian; none = 2SFCA)")
    parser.add_argument("--demand", default=None, metavar="FILE",
                        help="demand points or areas (e.g. LSOAs, a grid) with a population column; "
                             "default: one point per borough with the service's need base")
    parser.add_argument("--population-column", default="population", help="population column of --demand")
    parser.add_argument("--format", choices=["table", "csv"], default="table")
    parser.add_argument("--out", default=None, help="write to FILE instead of stdout")


def _read_demand(path):
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(f"cannot read demand file: {exc}", file=path,
                         expected="GeoJSON, GeoPackage or Shapefile of points or areas") from None


def run(args) -> int:
    ds = dataset_from_args(args)
    service = args.service.strip().lower()
    if not args.radius_km > 0:
        raise InputError(f"--radius-km {args.radius_km:g}", expected="a radius in km greater than 0")
    demand = _read_demand(args.demand) if args.demand else None
    boundaries = boundaries_from_args(args, ds)
    access = service_access(ds, service, boundaries, radius_m=args.radius_km * 1000, decay=args.decay,
                            demand_points=demand, population_col=args.population_column)
    if args.format == "csv":
        write_output(csv_text(access), args.out)
        return 0
    bench = ds.benchmarks.services[service]
    model = bench.model
    base = (model.base if model.kind == "rate" else model.measure).replace("_", " ")
    lines = []
    for notice in (illustrative_notice(ds), estimated_notice(ds)):
        if notice:
            lines += [notice, ""]
    lines.append(f"{bench.label}: E2SFCA access, {bench.unit} within reach per 100,000 {base} "
                 f"(radius {args.radius_km:g} km, decay {args.decay}; Luo & Qi 2009)")
    if model.kind == "rate":
        lines.append(f"Benchmark for comparison: {100_000 * model.per / model.per_population:g} per 100,000 "
                     f"{base} ({model.citation})")
    lines.append(f"  {'Authority':<24}{base[:14]:>16}{'access /100k':>14}")
    for r in access.itertuples():
        lines.append(f"  {r.name:<24}{r.population:>16,.0f}{r.access_per_100k:>14.2f}")
    lines.append("Confidential services (refuges) are placed at their borough's centre, never their own address; "
                 "shared and pan-London services at the centres of the boroughs they serve.")
    write_output("\n".join(lines) + "\n", args.out)
    return 0
