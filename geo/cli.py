"""Command line: ``python -m geo coverage|nearest|fetch-network|export|suggest|lifecircle|
fetch-facilities|init|batch``.

Every command works on one district: the shipped Longhu District, or any county-level unit of
China given by ``--district ADCODE`` (its layers are built once, see ``init``).

Exit codes: 0 success; 2 bad input, with one line on stderr naming the file, the row and the
problem (never a traceback); 1 an unexpected internal error (also one line).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from geo.engine import coverage, schema
from geo.engine import crs as _crs
from geo.engine.graph import NetworkError
from geo.engine.limits import SettingError
from geo.io import data, errors, networks, results


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{self.prog}: {message}")


def _tiers(text: str) -> tuple[str, ...]:
    tiers = tuple(t.strip() for t in text.split(",") if t.strip())
    for t in tiers:
        if schema.normalise_tier(t) is None:
            raise UsageError(f"--tiers: unknown tier {t!r}; use {','.join(schema.TIERS)}")
    return tuple(schema.normalise_tier(t) for t in tiers)


def _minutes(text: str) -> tuple[float, ...]:
    """``--minutes`` as numbers; their range (NaN, inf, 0 … 120) is checked by ``coverage.Settings``."""
    try:
        return tuple(float(m) for m in str(text).split(",") if m.strip())
    except ValueError:
        raise UsageError(f"--minutes: {text!r} is not a number (e.g. 15 or 5,10,15)") from None


def _flag(setting: str, short: tuple[str, ...] = ()) -> str:
    """The command-line option of an engine setting: ``speed_kmh`` -> ``--speed-kmh`` (``-k``)."""
    return f"-{setting}" if setting in short else "--" + setting.replace("_", "-")


def _usage(exc: SettingError, short: tuple[str, ...] = ()) -> Exception:
    """An engine's range error as a usage error naming the option, e.g. ``--minutes: minutes must …``."""
    if exc.setting is None:
        return exc
    return UsageError(f"{_flag(exc.setting, short)}: {exc}")


def _add_coverage_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--centers", type=Path, help="centres file (CSV/XLSX/GeoJSON/GPKG); default: shipped")
    p.add_argument("--centers-crs", default="wgs84", help="coordinates of the centres file: wgs84|gcj02|bd09")
    p.add_argument("--network", type=Path, help="walking network: GraphML, .osm or .osm.pbf")
    p.add_argument("--mode", choices=coverage.MODES, help="circle (default) or network (default with --network)")
    p.add_argument("--minutes", default="15", help="time limit(s) in minutes, e.g. 15 or 5,10,15")
    p.add_argument("--speed-kmh", type=float, default=coverage.SPEED_PRESETS["adult"],
                   help="walking speed (4.0 adult, 3.0 elderly)")
    p.add_argument("--tiers", default=",".join(schema.TIERS), help="comma-separated tiers to include")
    p.add_argument("--buffer-m", type=float, default=30.0, help="isochrone half-width around streets (m)")
    p.add_argument("--min-gap-m2", type=float, default=2000.0, help="ignore gaps smaller than this (m²)")
    p.add_argument("--streets", type=Path, help="street boundaries (GeoJSON/GPKG); default: shipped")
    p.add_argument("--communities", type=Path, help="community boundaries (GeoJSON/GPKG); default: shipped")
    p.add_argument("--store", type=Path, help="use the layers saved in the app's store (data/user/longhu.gpkg)")
    _add_district_option(p)


def _add_district_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--district", help="the county-level unit's code (adcode, e.g. 440511 for 金平区); "
                                      "default: the shipped district (440507 龙湖区)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m geo", description="15-minute service circles of a district (default 龙湖区)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("coverage", help="coverage, gaps and the per-street/community table")
    _add_coverage_options(c)
    c.add_argument("--out", type=Path, required=True, help="output folder")
    c.add_argument("--json", action="store_true", help="print the headline figures as JSON")

    n = sub.add_parser("nearest", help="the k nearest centres to a point by walking time")
    n.add_argument("--lon", type=float, required=True)
    n.add_argument("--lat", type=float, required=True)
    n.add_argument("--crs", default="wgs84", help="coordinates of the point: wgs84|gcj02|bd09")
    n.add_argument("-k", type=int, default=3)
    n.add_argument("--centers", type=Path)
    n.add_argument("--centers-crs", default="wgs84")
    n.add_argument("--network", type=Path)
    n.add_argument("--mode", choices=coverage.MODES)
    n.add_argument("--speed-kmh", type=float, default=coverage.SPEED_PRESETS["adult"])
    n.add_argument("--json", action="store_true")
    _add_district_option(n)

    f = sub.add_parser("fetch-network", help="download the district's walking network from OpenStreetMap (online)")
    f.add_argument("--out", type=Path, help="default data/network/longhu_walk.graphml (ADCODE_walk.graphml "
                                            "with --district)")
    f.add_argument("--margin-m", type=float, default=500.0)
    _add_district_option(f)

    e = sub.add_parser("export", help="briefing outputs (png|pdf|html|brief|xlsx) or all layers (geojson|gpkg|csv)")
    _add_coverage_options(e)
    e.add_argument("--format", required=True,
                   help="png, pdf, html, brief, xlsx (one file) or geojson, gpkg, csv (all layers into a folder)")
    e.add_argument("--out", type=Path, required=True, help="output file (a folder for geojson/gpkg/csv)")
    e.add_argument("--title", help="map title (default <district>15分钟党群服务圈覆盖图)")
    e.add_argument("--paper", default="a4", help="a4 (landscape), a3 or slide (16:9)")

    s = sub.add_parser("suggest", help="where new stations would close the gaps best")
    _add_coverage_options(s)
    s.add_argument("--k", type=int, required=True, help="number of new stations (1-20)")
    s.add_argument("--out", type=Path, required=True, help="output folder")
    s.add_argument("--json", action="store_true")
    s.add_argument("--method", default="auto", help="exact, greedy or auto")
    s.add_argument("--candidates", type=Path,
                   help="extra candidate sites (points: CSV/XLSX with lon,lat or 经度,纬度; GeoJSON/GPKG)")
    s.add_argument("--candidates-crs", default="wgs84", help="coordinates of the candidates file")

    from geo import cli_lifecircle  # lifecircle, fetch-facilities: their own module
    cli_lifecircle.add_parsers(sub)
    for name in ("lifecircle", "fetch-facilities"):
        _add_district_option(sub.choices[name])
    _add_init_parser(sub)
    _add_batch_parser(sub)
    return p


def _add_init_parser(sub) -> None:
    i = sub.add_parser("init", help="build the layers of any county-level unit (outline, registry, "
                                    "illustrative layout)")
    i.add_argument("--district", default=None, help="the unit's code (adcode); default 440507 (龙湖区)")
    i.add_argument("--out", type=Path, help="output folder (default data/user/districts/ADCODE)")
    i.add_argument("--stations", type=int, default=0, help="illustrative stations to place besides the street and "
                                                           "community centres (default 0)")


def _add_batch_parser(sub) -> None:
    b = sub.add_parser("batch", help="coverage of every county-level unit of a region at once, on dask")
    b.add_argument("--region", required=True, help="code prefix: 4405 = 汕头市, 44 = 广东省")
    b.add_argument("--centers", type=Path, help="centres of the whole region (split by unit); default: each "
                                                "unit's illustrative centres")
    b.add_argument("--centers-crs", default="wgs84", help="coordinates of the centres file: wgs84|gcj02|bd09")
    b.add_argument("--facilities", type=Path, help="the life circle's facilities of the whole region (an AMap "
                                                   "POI export or a table with a category column); each unit "
                                                   "gets those within the longest walk of it")
    b.add_argument("--facilities-crs", choices=("wgs84", "gcj02", "bd09"),
                   help="coordinates of the facilities (default: gcj02 for an AMap export, else wgs84)")
    b.add_argument("--catalogue", type=Path, help="facility catalogue (TOML); default data/catalogue/lifecircle.toml")
    b.add_argument("--categories", help="comma-separated catalogue keys for the life circle (default: all)")
    b.add_argument("--network", type=Path, help="walking network of the region (clipped per unit)")
    b.add_argument("--mode", choices=coverage.MODES, help="circle (default) or network (default with --network)")
    b.add_argument("--minutes", default="15", help="time limit(s) in minutes, e.g. 15 or 5,10,15")
    b.add_argument("--speed-kmh", type=float, default=coverage.SPEED_PRESETS["adult"])
    b.add_argument("--tiers", default=",".join(schema.TIERS))
    b.add_argument("--buffer-m", type=float, default=30.0)
    b.add_argument("--min-gap-m2", type=float, default=2000.0)
    b.add_argument("--out", type=Path, required=True, help="output folder")
    b.add_argument("--scheduler", default="local",
                   help="local (a LocalCluster of worker processes), serial (no dask), or tcp://HOST:PORT")
    b.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster")


# --------------------------------------------------------------------------- helpers


def _load(args) -> tuple:
    saved = _from_store(args.store) if getattr(args, "store", None) else None
    given = {"streets": getattr(args, "streets", None), "communities": getattr(args, "communities", None),
             "centers": getattr(args, "centers", None), "district": None}
    if saved is not None:
        for layer in ("district", "streets", "communities", "centers"):
            if layer not in saved and not given[layer]:
                print(f"note: the store {args.store} holds no {layer}; using the shipped {layer}", file=sys.stderr)
    saved = saved or {}
    streets = (data.load_streets(args.streets) if given["streets"]
               else saved["streets"] if "streets" in saved else data.load_streets())
    communities = (data.load_communities(args.communities) if given["communities"]
                   else saved["communities"] if "communities" in saved else data.load_communities())
    if args.centers:
        centers = _user_centers(args.centers, args.centers_crs, streets, communities)
    elif "centers" in saved:
        centers = data.locate(saved["centers"], streets, communities)
    else:
        centers = data.load_centers(streets=streets, communities=communities)
    graph = None
    if args.network:
        print(f"loading walking network {args.network} …", file=sys.stderr)
        graph = networks.load_network(args.network)
    return saved.get("district", data.load_district()), streets, communities, centers, graph


def _from_store(path: Path) -> dict:
    """The current versions of the layers saved in the app's store (only those it holds),
    read without writing to the file; a file that is not a store, or holds no layer, is refused."""
    from geo.io import store

    s = store.Store(path, readonly=True)
    try:
        held = [layer for layer in s.layers() if layer in ("district", "streets", "communities", "centers")]
        if not held:
            raise UsageError(f"--store {path}: the store holds no layers to analyse (district, streets, "
                             "communities, centers) yet; save a change in the app first, or leave out --store")
        return {layer: s.load(layer, shipped=False) for layer in held}
    except errors.DataError as exc:
        raise UsageError(f"--store {path}: {exc.problems[0].reason}") from None


def _warn(path: Path, report) -> None:
    for w in report.warnings:
        print(f"warning: {Path(path).name}, {w.where() or 'file'}: {w.reason}", file=sys.stderr)


def _user_centers(path: Path, crs: str, streets=None, communities=None):
    """A planner's centres file with every check of the importer; warnings go to stderr."""
    from geo.io import centers
    report = centers.import_centers(path, crs=crs, streets=streets, communities=communities)
    _warn(path, report)
    report.raise_for_problems()
    return report.valid


def _settings(args) -> coverage.Settings:
    """The walking-time settings of the options, checked before any file is read."""
    mode = args.mode or ("network" if args.network else "circle")
    if mode == "network" and not args.network:
        raise UsageError("--mode network needs --network FILE (GraphML, .osm or .osm.pbf)")
    try:
        return coverage.Settings(mode=mode, minutes=_minutes(args.minutes), speed_kmh=args.speed_kmh,
                                 tiers=_tiers(args.tiers), buffer_m=args.buffer_m, min_gap_m2=args.min_gap_m2)
    except coverage.CoverageError as exc:
        raise _usage(exc) from None


def _analyse(args):
    settings = _settings(args)
    district, streets, communities, centers, graph = _load(args)
    result = coverage.analyse(district, streets, communities, centers, settings, graph)
    if data.is_illustrative(centers, streets, communities):
        print(f"note: {data.ILLUSTRATIVE_NOTICE_EN}", file=sys.stderr)
    for _, r in result.unreachable.iterrows():
        print(f"warning: centre {r['center_id']} ({r['name']}) is more than {settings.max_snap_m:.0f} m "
              "from any street; it is reported as unreachable", file=sys.stderr)
    return result, centers, streets, communities


# --------------------------------------------------------------------------- commands


def cmd_coverage(args) -> int:
    result, centers, streets, communities = _analyse(args)
    results.write_coverage(result, args.out, results.data_status(centers, streets, communities))
    head = result.headline()
    if args.json:
        print(json.dumps(head, ensure_ascii=False))
    else:
        print(f"district {head['district_area_km2']:.2f} km², covered {head['covered_pct']:.1f}% "
              f"within {result.settings.limit_minutes:g} min ({result.settings.mode}), "
              f"{head['n_centers']} centres, {head['n_gaps']} gaps → {args.out}")
    return 0


def cmd_nearest(args) -> int:
    from geo.engine import nearest

    try:
        nearest.check_arguments(args.lon, args.lat, args.k, args.speed_kmh)
    except coverage.CoverageError as exc:
        raise _usage(exc, short=("k",)) from None
    mode = args.mode or ("network" if args.network else "circle")
    if mode == "network" and not args.network:
        raise UsageError("--mode network needs --network FILE")
    try:
        _crs.check_crs(args.crs)
    except ValueError as exc:
        raise UsageError(f"--crs: {exc}") from None
    centers = _user_centers(args.centers, args.centers_crs) if args.centers else data.load_centers()
    graph = networks.load_network(args.network) if args.network else None
    r = nearest.nearest_centers(centers, args.lon, args.lat, crs=args.crs, k=args.k, speed_kmh=args.speed_kmh,
                                mode=mode, graph=graph, district=data.load_district())
    if r.message:
        raise UsageError(r.message)
    if not r.inside_district:
        print(f"note: the point is outside {data.district_label()}", file=sys.stderr)
    if args.json:
        print(json.dumps(r.table.to_dict(orient="records"), ensure_ascii=False))
    else:
        print(r.table.to_string(index=False))
    return 0


def cmd_fetch_network(args) -> int:
    district = data.load_district()
    try:  # the margin is checked before going online
        out = args.out or Path("data/network") / (f"{args.district}_walk.graphml" if args.district
                                                   else "longhu_walk.graphml")
        networks.fetch_network(district.geometry.iat[0], margin_m=args.margin_m, path=out)
    except NetworkError as exc:
        raise _usage(exc) from None
    print(f"saved walking network to {out}")
    return 0


LAYER_FORMATS = ("geojson", "gpkg", "csv")


def cmd_export(args) -> int:
    from geo.io import tables
    from geo.render import brief
    if args.format not in brief.FORMATS + LAYER_FORMATS:
        raise UsageError(f"--format: unknown format {args.format!r}; "
                         f"use {', '.join(brief.FORMATS + LAYER_FORMATS)}")
    if args.format in LAYER_FORMATS:
        result, centers, streets, communities = _analyse(args)
        layers = results.result_layers(result, results.data_status(centers, streets, communities))
        if args.format in ("geojson", "gpkg"):
            layers.pop("summary")  # its figures are on the street and community polygons
        for path in tables.export_layers(layers, args.out, args.format):
            print(f"wrote {path}")
        return 0
    brief.check_writable(args.out)
    result, *_ = _analyse(args)
    path = brief.export(result, args.format, args.out, title=args.title, paper=args.paper)
    print(f"wrote {path}")
    return 0


def cmd_suggest(args) -> int:
    from geo.engine import siting
    from geo.io import candidates

    try:
        siting.check_k(args.k)
        siting.check_method(args.method)
    except siting.SitingError as exc:
        raise _usage(exc) from None
    extra = None
    if args.candidates:  # read before the analysis, so a bad file fails fast
        report = candidates.import_candidates(args.candidates, args.candidates_crs)
        _warn(args.candidates, report)
        report.raise_for_problems()
        extra = report.valid
    result, centers, streets, communities = _analyse(args)
    plan = siting.suggest(result, k=args.k, method=args.method, graph=result.graph, candidates=extra)
    results.write_plan(plan, args.out, results.data_status(centers, streets, communities))
    if args.json:
        print(json.dumps(plan.headline(), ensure_ascii=False))
    else:
        print(plan.describe())
    return 0


def _lifecircle(name: str):
    """A command of :mod:`geo.cli_lifecircle` (which imports this module), looked up when it runs."""
    def run(args) -> int:
        from geo import cli_lifecircle
        return getattr(cli_lifecircle, name)(args)
    return run


def cmd_init(args) -> int:
    from geo.io import districts

    code = districts.check_code(args.district or districts.SHIPPED_CODE)
    if args.stations < 0:
        raise UsageError("--stations: give 0 or more")
    out = args.out or districts.CACHE_DIR / code
    print(f"building the layers of {districts.name_of(code)} ({code}) …", file=sys.stderr)
    built = districts.build(code, out, stations=args.stations)
    print(built.describe())
    return 0


def cmd_batch(args) -> int:
    from geo import batch

    settings = _settings(args)
    try:
        return batch.run_cli(args, settings)
    except batch.BatchError as exc:
        raise UsageError(str(exc)) from None
    except errors.DataError as exc:
        if len(exc.problems) < 2:
            raise
        for p in exc.problems:  # every row that cannot be placed, one line each
            value = f" (value {p.value!r})" if p.value else ""
            print(f"error: {Path(exc.path).name}, {p.where()}: {p.reason}{value}", file=sys.stderr)
        raise UsageError(f"{Path(exc.path).name}: {len(exc.problems)} rows cannot be used (listed above); "
                         "fix them and run again") from None


def _district_folder(args) -> Path | None:
    """``--district``: the folder of its layers (built once), which every loader and check then uses."""
    from geo.io import districts

    code = getattr(args, "district", None)
    if not code or args.command in ("init", "batch"):
        return None
    code = districts.check_code(code)
    folder = districts.district_dir(code)
    if not districts.has_outline(code):
        districts.outline(code)  # says so in one line
    if not all((folder / f).is_file() for f in districts.LAYER_FILES):
        print(f"building the layers of {districts.name_of(code)} ({code}) once …", file=sys.stderr)
    return districts.ensure(code)


COMMANDS = {"coverage": cmd_coverage, "nearest": cmd_nearest, "fetch-network": cmd_fetch_network,
            "export": cmd_export, "suggest": cmd_suggest, "init": cmd_init, "batch": cmd_batch,
            "lifecircle": _lifecircle("cmd_lifecircle"), "fetch-facilities": _lifecircle("cmd_fetch_facilities")}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        folder = _district_folder(args)
        with data.district_data(folder) if folder else contextlib.nullcontext():
            return COMMANDS[args.command](args)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except (UsageError, errors.DataError, coverage.CoverageError, NetworkError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: {exc.__class__.__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback for the user
        print(f"internal error: {exc.__class__.__name__}: {exc} (please report this)".replace("\n", " "),
              file=sys.stderr)
        return 1
