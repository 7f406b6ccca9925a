"""``python -m geo lifecircle`` and ``python -m geo fetch-facilities``: the community life circle.

Registered by :mod:`geo.cli` (``add_parsers``; the commands are :func:`cmd_lifecircle` and
:func:`cmd_fetch_facilities`, each given the command's District). Same contract as the other
commands: exit 0, or 2 with one line naming the file, the row or the option. The analysis is
:class:`geo.jobs.lifecircle.LifeCircleJob`, the one a batch unit runs too.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from geo.cli_common import (
    UsageError,
    add_district_option,
    add_lang_option,
    brief_path,
    exc_msg,
    layers_of,
    network,
    notice,
    out_path,
    say,
    usage,
    warn,
    warning,
    words,
)
from geo.engine import crs as _crs
from geo.engine import lifecircle as lc
from geo.engine.coverage import MODE_WORDS
from geo.engine.graph import NetworkError
from geo.engine.limits import SettingError
from geo.io import facilities, networks
from geo.io.district import District
from geo.jobs import lifecircle as jobs_lc
from geo.locale import Msg

ILLUSTRATIVE_NAME = re.compile(r"illustrative|示意|演示|demo", re.IGNORECASE)


def add_parsers(sub) -> None:
    """The ``lifecircle`` and ``fetch-facilities`` subcommands."""
    lcp = sub.add_parser("lifecircle", help="which daily services each community reaches on foot (GB 50180-2018)")
    lcp.add_argument("--facilities", type=Path, required=True,
                     help="facilities: an AMap POI export (CSV/XLSX) or a table with a category/类别 column")
    lcp.add_argument("--facilities-crs", choices=_crs.CRS_NAMES,
                     help="coordinates of the facilities (default: gcj02 for an AMap export, else wgs84)")
    lcp.add_argument("--catalogue", type=Path, help="facility catalogue (TOML); default data/catalogue/lifecircle.toml")
    lcp.add_argument("--categories", help="comma-separated catalogue keys to analyse (default: all)")
    lcp.add_argument("--mode", choices=lc.MODES, help="circle (default) or network (default with --network)")
    lcp.add_argument("--network", type=Path, help="walking network: GraphML, .osm or .osm.pbf")
    lcp.add_argument("--speed-kmh", type=float, default=lc.SPEEDS["adult"],
                     help="walking speed (4.0 adult, 3.0 elderly)")
    lcp.add_argument("--basis", choices=lc.BASES, default="distance",
                     help="limits: distance (the catalogue's metres) or time (the circle's minutes at the speed)")
    lcp.add_argument("--cell-m", type=float, default=50.0, help="grid cell of the heat map (m)")
    lcp.add_argument("--communities", type=Path, help="community boundaries (GeoJSON/GPKG); default: shipped")
    lcp.add_argument("--streets", type=Path, help="street boundaries (GeoJSON/GPKG); default: shipped")
    lcp.add_argument("--out", type=out_path, required=True, help="output folder")
    lcp.add_argument("--json", action="store_true", help="print the headline figures as JSON")
    lcp.add_argument("--brief", type=brief_path, help="also write the one-page brief (FILE.pdf or FILE.png)")
    add_district_option(lcp)
    add_lang_option(lcp, " and of the brief")

    ff = sub.add_parser("fetch-facilities", help="download the catalogue's facilities from OpenStreetMap (online)")
    ff.add_argument("--catalogue", type=Path)
    ff.add_argument("--out", type=out_path, default=facilities.OSM_CACHE, help="CSV to save them in")
    ff.add_argument("--margin-m", type=float, default=1000.0, help="distance around the district to include (m)")
    add_district_option(ff)
    add_lang_option(ff)


def _settings(args: argparse.Namespace) -> lc.Settings:
    mode = args.mode or ("network" if args.network else "circle")
    if mode == "network" and not args.network:
        raise UsageError(Msg.of("run.mode_needs_network"))
    try:
        return lc.Settings(mode=mode, speed_kmh=args.speed_kmh, basis=args.basis, cell_m=args.cell_m)
    except lc.LifeCircleError as exc:
        raise usage(exc) from None


def catalogue_of(args: argparse.Namespace) -> lc.Catalogue:
    """The catalogue of ``--catalogue`` cut to ``--categories`` (``lifecircle``, ``batch``); a bad key
    is a usage error."""
    try:
        return jobs_lc.catalogue(args.catalogue, jobs_lc.category_keys(args.categories))
    except lc.LifeCircleError as exc:
        raise UsageError(Msg.of("run.option", option="--categories", msg=exc.msg)) from None


def _check_brief(path: Path | None) -> None:
    if path is None:
        return
    if path.suffix.lower() not in (".pdf", ".png"):
        raise UsageError(Msg.of("run.brief_suffix", name=repr(path.name)))
    from geo.render import brief

    try:
        brief.check_writable(path)
    except brief.ExportError as exc:
        raise UsageError(Msg.of("run.option", option="--brief", msg=exc_msg(exc))) from None


def _facilities(args: argparse.Namespace, cat: lc.Catalogue, district) -> facilities.FacilityReport:
    report = facilities.import_facilities(args.facilities, cat, args.facilities_crs, district=district)
    warn(args.facilities, report, args.lang)
    report.raise_for_problems()
    report.require_facilities()
    return report


def cmd_lifecircle(args: argparse.Namespace, place: District) -> int:
    """Analyse, write the contract files (and the brief), print the headline."""
    settings = _settings(args)
    _check_brief(args.brief)
    cat = catalogue_of(args)
    layers = layers_of(place, args)
    report = _facilities(args, cat, layers.district)
    job = jobs_lc.LifeCircleJob(layers, report.valid, cat, settings,
                                network(args.network, args.lang) if settings.mode == "network" else None)
    try:
        result = job.run()
    except lc.LifeCircleError as exc:
        raise usage(exc) from None
    notice(job.status, args.lang)
    for note in result.notes:
        warning(note, args.lang)
    job.write(result, args.out, report.unmatched)
    if args.brief:
        from geo.render import lifecircle_brief

        demo = bool(ILLUSTRATIVE_NAME.search(args.facilities.name))
        try:
            path = job.brief(result, args.brief, args.lang, illustrative_facilities=demo)
        except lifecircle_brief.BriefError as exc:
            raise UsageError(Msg.of("run.option", option="--brief", msg=exc_msg(exc))) from None
        say(Msg.of("run.wrote", path=str(path)), args.lang)
    head = result.headline()
    if args.json:
        print(json.dumps(head, ensure_ascii=False))
    else:
        print(words(Msg.of("run.lifecircle_done", communities=Msg.of("run.n_communities", n=head["communities"]),
                           categories=Msg.of("run.n_categories", n=head["categories"]),
                           served=head["fully_served_communities"], mode=MODE_WORDS[settings.mode],
                           facilities=Msg.of("run.n_facilities_used", n=len(report.valid)),
                           unassigned=Msg.of("run.n_rows_unassigned", n=len(report.unmatched)), out=str(args.out)),
                    args.lang))
    return 0


def cmd_fetch_facilities(args: argparse.Namespace, place: District) -> int:
    """Download the catalogue's facilities around the district from OpenStreetMap into a CSV for ``--facilities``."""
    try:
        networks.MARGIN_M.check("margin_m", args.margin_m, NetworkError)
    except SettingError as exc:
        raise usage(exc) from None
    table = facilities.fetch_facilities(place.geometry, jobs_lc.catalogue(args.catalogue), args.out, args.margin_m)
    print(words(Msg.of("run.saved_facilities", n=len(table), path=str(args.out)), args.lang))
    return 0
