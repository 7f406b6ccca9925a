"""Command line: ``python -m geo coverage|nearest|fetch-network|export|suggest|lifecircle|
fetch-facilities|init|batch``.

Every command works on one district, a :class:`~geo.io.district.District` made once from
``--district ADCODE`` (default the shipped 440507; its layers are built once, see ``init``) and
handed to the job it runs (:mod:`geo.jobs`): this module parses, calls and prints.

Exit codes: 0 success; 2 bad input, with one line on stderr naming the file, the row and the
problem (never a traceback); 1 an unexpected internal error (also one line).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from geo import cli_common, cli_lifecircle
from geo.cli_common import (
    UsageError,
    add_district_option,
    add_lang_option,
    exc_msg,
    layers_of,
    network,
    note,
    notice,
    open_district,
    out_path,
    say,
    usage,
    warn,
    warning,
    words,
)
from geo.engine import coverage, schema
from geo.engine import crs as _crs
from geo.engine.graph import NetworkError
from geo.engine.limits import SettingError
from geo.io import errors, networks
from geo.io.district import District
from geo.jobs.coverage import CoverageJob
from geo.jobs.nearest import NearestJob
from geo.jobs.siting import SitingJob
from geo.locale import Msg, Worded


def _tiers(text: str) -> tuple[str, ...]:
    tiers = tuple(t.strip() for t in text.split(",") if t.strip())
    for t in tiers:
        if schema.normalise_tier(t) is None:
            raise UsageError(Msg.of("run.tiers", tier=repr(t), tiers=",".join(schema.TIERS)))
    return tuple(schema.normalise_tier(t) for t in tiers)


def _minutes(text: str) -> tuple[float, ...]:
    """``--minutes`` as numbers; their range (NaN, inf, 0 … 120) is checked by ``coverage.Settings``."""
    try:
        return tuple(float(m) for m in str(text).split(",") if m.strip())
    except ValueError:
        raise UsageError(Msg.of("run.minutes", value=repr(text))) from None


def _add_coverage_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--centers", type=Path, help="centres file (CSV/XLSX/GeoJSON/GPKG); default: shipped")
    p.add_argument("--centers-crs", default="wgs84", help="coordinates of the centres file: wgs84|gcj02|bd09")
    p.add_argument("--network", type=Path, help="walking network: GraphML, .osm or .osm.pbf")
    p.add_argument("--mode", choices=coverage.MODES, help="circle (default) or network (default with --network)")
    p.add_argument("--minutes", default="15", help="time limits in minutes, e.g. 15 or 5,10,15")
    p.add_argument("--speed-kmh", type=float, default=coverage.SPEED_PRESETS["adult"],
                   help="walking speed (4.0 adult, 3.0 elderly)")
    p.add_argument("--tiers", default=",".join(schema.TIERS), help="comma-separated tiers to include")
    p.add_argument("--buffer-m", type=float, default=30.0, help="isochrone half-width around streets (m)")
    p.add_argument("--min-gap-m2", type=float, default=2000.0, help="ignore gaps smaller than this (m²)")
    p.add_argument("--streets", type=Path, help="street boundaries (GeoJSON/GPKG); default: shipped")
    p.add_argument("--communities", type=Path, help="community boundaries (GeoJSON/GPKG); default: shipped")
    p.add_argument("--store", type=Path, help="use the layers saved in the district's store in the app (read "
                                              "only; e.g. data/user/longhu.gpkg, data/user/longhu-440511.gpkg)")
    add_district_option(p)
    add_lang_option(p)


def build_parser() -> argparse.ArgumentParser:
    p = cli_common.Parser(prog="python -m geo", description="15-minute service circles of a district (default 龙湖区)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=cli_common.Parser)

    c = sub.add_parser("coverage", help="coverage, gaps and the per-street/community table")
    _add_coverage_options(c)
    c.add_argument("--out", type=out_path, required=True, help="output folder")
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
    add_district_option(n)
    add_lang_option(n)

    f = sub.add_parser("fetch-network", help="download the district's walking network from OpenStreetMap (online)")
    f.add_argument("--out", type=out_path, help="default data/network/SLUG_walk.graphml (the district's name: "
                                            "longhu_walk.graphml, jinping_walk.graphml)")
    f.add_argument("--margin-m", type=float, default=500.0)
    add_district_option(f)
    add_lang_option(f)

    e = sub.add_parser("export", help="briefing outputs (png|pdf|html|brief|xlsx) or all layers (geojson|gpkg|csv)")
    _add_coverage_options(e)
    e.add_argument("--format", required=True,
                   help="png, pdf, html, brief, xlsx (one file) or geojson, gpkg, csv (all layers into a folder)")
    e.add_argument("--out", type=out_path, required=True, help="output file (a folder for geojson/gpkg/csv)")
    e.add_argument("--title", help="map title (default <district>15分钟党群服务圈覆盖图)")
    e.add_argument("--paper", default="a4", help="a4 (landscape), a3 or slide (16:9)")

    s = sub.add_parser("suggest", help="where new stations would close the gaps best")
    _add_coverage_options(s)
    s.add_argument("--k", type=int, required=True, help="number of new stations (1-20)")
    s.add_argument("--out", type=out_path, required=True, help="output folder")
    s.add_argument("--json", action="store_true")
    s.add_argument("--method", default="auto", help="exact, greedy or auto")
    s.add_argument("--candidates", type=Path,
                   help="extra candidate sites (points: CSV/XLSX with lon,lat or 经度,纬度; GeoJSON/GPKG)")
    s.add_argument("--candidates-crs", default="wgs84", help="coordinates of the candidates file")

    cli_lifecircle.add_parsers(sub)  # lifecircle, fetch-facilities: their own module
    _add_init_parser(sub)
    _add_batch_parser(sub)
    return p


def _add_init_parser(sub) -> None:
    i = sub.add_parser("init", help="build the layers of any county-level unit (outline, registry, "
                                    "illustrative layout)")
    i.add_argument("--district", default=None, help="the unit's code (adcode); default 440507 (龙湖区)")
    i.add_argument("--out", type=out_path, help="output folder (default data/user/districts/ADCODE)")
    i.add_argument("--stations", type=int, default=0, help="illustrative stations to place besides the street and "
                                                           "community centres (default 0)")
    add_lang_option(i)


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
    b.add_argument("--minutes", default="15", help="time limits in minutes, e.g. 15 or 5,10,15")
    b.add_argument("--speed-kmh", type=float, default=coverage.SPEED_PRESETS["adult"])
    b.add_argument("--tiers", default=",".join(schema.TIERS))
    b.add_argument("--buffer-m", type=float, default=30.0)
    b.add_argument("--min-gap-m2", type=float, default=2000.0)
    b.add_argument("--out", type=out_path, required=True, help="output folder")
    b.add_argument("--scheduler", default="local",
                   help="local (a LocalCluster of worker processes), serial (no dask), or tcp://HOST:PORT")
    b.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster")
    add_lang_option(b)


# --------------------------------------------------------------------------- helpers


def _settings(args: argparse.Namespace) -> coverage.Settings:
    """The walking-time settings of the options, checked before any file is read."""
    mode = args.mode or ("network" if args.network else "circle")
    if mode == "network" and not args.network:
        raise UsageError(Msg.of("run.mode_needs_network"))
    try:
        return coverage.Settings(mode=mode, minutes=_minutes(args.minutes), speed_kmh=args.speed_kmh,
                                 tiers=_tiers(args.tiers), buffer_m=args.buffer_m, min_gap_m2=args.min_gap_m2)
    except coverage.CoverageError as exc:
        raise usage(exc) from None


def _coverage_job(args: argparse.Namespace, place: District) -> CoverageJob:
    """The coverage job of the options: settings checked first, then the layers in use and the network."""
    settings = _settings(args)
    job = CoverageJob(layers_of(place, args), settings, network(args.network, args.lang))
    notice(job.status, args.lang)
    return job


def _run(job: CoverageJob, lang: str) -> coverage.CoverageResult:
    """Run the coverage job; centres no street reaches are named on stderr."""
    result = job.run()
    for _, r in result.unreachable.iterrows():
        warning(Msg.of("run.centre_unreachable", id=str(r["center_id"]), name=str(r["name"]),
                       m=f"{job.settings.max_snap_m:.0f}"), lang)
    for _, r in result.fragment_centers.iterrows():
        note(Msg.of("run.centre_on_fragment", id=str(r["id"]), name=str(r["name"])), lang)
    return result


# --------------------------------------------------------------------------- commands


def cmd_coverage(args: argparse.Namespace, place: District) -> int:
    """Coverage, gaps and the summary table into ``--out``; the headline on stdout."""
    job = _coverage_job(args, place)
    result = _run(job, args.lang)
    job.write(result, args.out)
    head = result.headline()
    if args.json:
        print(json.dumps(head, ensure_ascii=False))
    else:
        print(words(Msg.of("run.coverage_done", area=f"{head['district_area_km2']:.2f}",
                           pct=f"{head['covered_pct']:.1f}", m=f"{result.settings.limit_minutes:g}",
                           mode=coverage.MODE_WORDS[result.settings.mode],
                           centres=Msg.of("run.n_centres", n=head["n_centers"]),
                           gaps=Msg.of("run.n_gaps", n=head["n_gaps"]),
                           out=str(args.out)), args.lang))
    return 0


def cmd_nearest(args: argparse.Namespace, place: District) -> int:
    """The ``-k`` nearest centres of the district to a point."""
    from geo.engine import nearest

    try:
        nearest.check_arguments(args.lon, args.lat, args.k, args.speed_kmh)
    except coverage.CoverageError as exc:
        raise usage(exc, short=("k",)) from None
    mode = args.mode or ("network" if args.network else "circle")
    if mode == "network" and not args.network:
        raise UsageError(Msg.of("run.mode_needs_network"))
    try:
        _crs.check_crs(args.crs)
    except SettingError as exc:
        raise usage(exc) from None
    job = NearestJob(layers_of(place, args), args.k, args.speed_kmh, mode, network(args.network, args.lang))
    r = job.run(args.lon, args.lat, args.crs)
    if r.message:
        raise UsageError(r.message)
    if not r.inside_district:
        note(Msg.of("run.point_outside", district=place.names), args.lang)
    if args.json:
        print(json.dumps(r.table.to_dict(orient="records"), ensure_ascii=False))
    else:
        print(r.table.to_string(index=False))
    return 0


def cmd_fetch_network(args: argparse.Namespace, place: District) -> int:
    """The district's walking network from OpenStreetMap (outline + margin) into a GraphML file."""
    out = args.out or Path("data/network") / f"{place.slug}_walk.graphml"
    try:  # the margin is checked before going online
        networks.fetch_network(place.geometry, margin_m=args.margin_m, path=out, lang=args.lang)
    except NetworkError as exc:
        raise usage(exc) from None
    print(words(Msg.of("run.saved_network", path=str(out)), args.lang))
    return 0


LAYER_FORMATS = ("geojson", "gpkg", "csv")


def cmd_export(args: argparse.Namespace, place: District) -> int:
    """A briefing output (one file) or every layer and result (a folder)."""
    from geo.io import tables
    from geo.render import brief

    if args.format not in brief.FORMATS + LAYER_FORMATS:
        raise UsageError(Msg.of("run.format", format=repr(args.format), formats=list(brief.FORMATS + LAYER_FORMATS)))
    if args.format not in LAYER_FORMATS:  # the file can be written, under a name that says what it is
        try:
            brief.check_suffix(brief.check_writable(args.out), args.format)
        except brief.ExportError as exc:
            raise UsageError(Msg.of("run.option", option="--out", msg=exc_msg(exc))) from None
    job = _coverage_job(args, place)
    result = _run(job, args.lang)
    if args.format in LAYER_FORMATS:
        for path in tables.export_layers(job.layers_out(result, args.format, outline=False), args.out, args.format):
            print(words(Msg.of("run.wrote", path=str(path)), args.lang))
        return 0
    path = brief.export(result, args.format, args.out, title=args.title, paper=args.paper, lang=args.lang)
    print(words(Msg.of("run.wrote", path=str(path)), args.lang))
    return 0



def cmd_suggest(args: argparse.Namespace, place: District) -> int:
    """Where ``--k`` new stations close the gaps best: the plan into ``--out``, its headline on stdout."""
    from geo.engine import siting
    from geo.io import candidates

    try:  # numbers before any file is read
        siting.check_k(args.k)
        siting.check_method(args.method)
    except siting.SitingError as exc:
        raise usage(exc) from None
    job = _coverage_job(args, place)
    extra = None
    if args.candidates:  # read before the analysis, so a bad file fails fast
        report = candidates.import_candidates(args.candidates, args.candidates_crs, district=job.layers.district)
        warn(args.candidates, report, args.lang)
        report.raise_for_problems()
        extra = report.valid
    plan_job = SitingJob(job, args.k, args.method, extra)
    plan = plan_job.run(_run(job, args.lang))
    plan_job.write(plan, args.out)
    print(json.dumps(plan.headline(), ensure_ascii=False) if args.json else plan.describe(args.lang))
    return 0


def cmd_init(args: argparse.Namespace, place: None = None) -> int:
    """Build a unit's layers (outline, registry, illustrative layout) into ``--out``."""
    from geo.io import districts

    code = districts.check_code(args.district or districts.SHIPPED_CODE)
    out = args.out or districts.CACHE_DIR / code
    say(Msg.of("run.building", name=districts.name_of(code), adcode=code), args.lang)
    print(districts.build(code, out, stations=args.stations).describe(args.lang))
    return 0


def cmd_batch(args: argparse.Namespace, place: None = None) -> int:
    """Every unit of ``--region`` as tasks (:func:`geo.batch.run_region`), then the region's outputs."""
    from geo import batch

    settings = _settings(args)
    catalogue = None
    if args.facilities:  # a bad key fails before anything starts
        catalogue = cli_lifecircle.catalogue_of(args)
    try:
        run = batch.run_region(args.region, Path(args.out), settings, centers=args.centers,
                               centers_crs=args.centers_crs, facilities=args.facilities,
                               facilities_crs=args.facilities_crs, catalogue=catalogue, network=args.network,
                               scheduler=args.scheduler, workers=args.workers,
                               say=lambda line: say(line, args.lang), lang=args.lang)
    except batch.BatchError as exc:
        raise UsageError(exc.msg) from None
    except errors.DataError as exc:
        _rows_refused(exc, args.lang)
        raise
    for path in run.paths:
        print(words(Msg.of("run.wrote", path=str(path)), args.lang))
    n = len(run.summary)
    done = Msg.of("run.units_done", done=n - run.failed, n=n, s=f"{run.seconds:.1f}")
    say(Msg.of("run.units_failed", head=done, n=run.failed) if run.failed else done, args.lang)
    return 0


def _rows_refused(exc: errors.DataError, lang: str) -> None:
    """A region-wide file with several rows that cannot be placed: every row on stderr, then one error line."""
    if len(exc.problems) < 2:
        return
    for p in exc.problems:
        say(Msg.of("run.error", line=p.text(lang, exc.path)), lang)
    raise UsageError(Msg.of("run.rows_refused", file=Path(exc.path).name, n=len(exc.problems))) from None


COMMANDS: dict[str, Callable[[argparse.Namespace, District | None], int]] = {
    "coverage": cmd_coverage, "nearest": cmd_nearest, "fetch-network": cmd_fetch_network, "export": cmd_export,
    "suggest": cmd_suggest, "init": cmd_init, "batch": cmd_batch, "lifecircle": cli_lifecircle.cmd_lifecircle,
    "fetch-facilities": cli_lifecircle.cmd_fetch_facilities}
NO_DISTRICT = ("init", "batch")
"""Commands that open no District: ``init`` builds one, ``batch`` opens one per unit in its tasks."""


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the command line; returns the exit code. ``environ`` (default the process's) gives the
    language when ``--lang`` is not given (:func:`geo.cli_common.default_lang`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = cli_common.lang_of(argv, os.environ if environ is None else environ)
    try:
        args = build_parser().parse_args(argv)
        args.lang = lang
        place = None if args.command in NO_DISTRICT else open_district(args.district, getattr(args, "store", None),
                                                                        lang)
        return COMMANDS[args.command](args, place)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except (UsageError, errors.DataError, Worded) as exc:
        for line in getattr(exc, "warnings", ()):  # a refused file's hints ("looks like GCJ-02") first
            warning(line, lang)
        say(Msg.of("run.error", line=one_line(words(exc, lang))), lang)
        return 2
    except (OSError, ValueError) as exc:
        say(Msg.of("run.error", line=one_line(f"{exc.__class__.__name__}: {exc}")), lang)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback for the user
        say(Msg.of("run.internal", line=one_line(f"{exc.__class__.__name__}: {exc}")), lang)
        return 1


def one_line(text: str) -> str:
    """``text`` on one line (a message quoting a file's contents may hold a newline)."""
    return " ".join(text.splitlines())
