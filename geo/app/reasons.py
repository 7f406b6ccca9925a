"""The importers' reasons in the page's language.

:mod:`geo.io` words every problem in English (files, command line and API share them). On a
Chinese page :func:`reason_text` recognises each reason by its template (the patterns below,
one per way ``geo.io`` words a problem) and gives the Chinese text of the catalogue
(``why.*`` keys of :mod:`geo.app.text`), translating the parts that are words too (levels,
coordinate systems, nested reasons). A reason no pattern knows is shown as it is.
:func:`error_text` does the same for a whole :class:`~geo.io.errors.DataError`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from geo.app.text import crs_label, tr
from geo.io.errors import DataError
from geo.locale import Msg

if TYPE_CHECKING:
    from geo.io.district import District

N = r"[\d,.]+"

#: (pattern, catalogue key): the first full match wins.
PATTERNS: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.S), k) for p, k in [
    # coordinates (geo.io.registry)
    (r"empty coordinates; fill in longitude and latitude.*", "why.empty_coords"),
    (r"empty longitude", "why.empty_lon"), (r"empty latitude", "why.empty_lat"),
    (r"not a number; (?:write|give) decimal degrees such as (?P<ex_lon>[-\d.]+) and (?P<ex_lat>[-\d.]+)",
     "why.not_number"),
    (r"longitude and latitude look swapped; swap the two values", "why.swapped"),
    (r"longitude out of range \[-180, 180\]", "why.lon_range"),
    (r"latitude out of range \[-90, 90\]", "why.lat_range"),
    (rf"outside (?P<where>.+?), (?P<m>{N}) m from its outline; check the coordinates and the coordinate "
     r"system \((?P<crs>\w+)\)", "why.outside"),
    (r"missing column (?P<col>.+); add it to the header row", "why.missing_column"),
    (r"the file has no (?P<items>.+); add at least one row under the header", "why.no_rows"),
    (r"expected 'longitude,latitude' \(for example (?P<ex>.+)\)", "why.lonlat_cell"),
    (r"a (?P<geom>\w+), not a point; (?P<items>.+) must be points", "why.not_point"),
    (r"the coordinates look like (?P<best>.+?), not (?P<chosen>.+?): read as .+?, (?P<nc>\d+) of (?P<n>\d+) "
     r"points fall inside (?P<where>.+?); read as .+?, (?P<nb>\d+) do\. Choose (?P<code>\w+) as the coordinate "
     r"system.*", "why.crs_guess"),
    # centres (geo.io.centers)
    (r"empty name; fill in the centre's name", "why.empty_name"),
    (r"name longer than 200 characters; shorten it", "why.long_name"),
    (r"unknown tier; use .*", "why.unknown_tier"), (r"empty tier; use .*", "why.empty_tier"),
    (r"duplicate id; row (?P<row>\d+) has the same id", "why.duplicate_id"),
    (r"code (?P<code>\d+) is a (?P<a>\w+), not a (?P<b>\w+)", "why.code_level"),
    (r"unknown (?P<level>\w+) code; not in the registry of (?P<where>.+?)'s divisions", "why.unknown_code"),
    (r"unknown (?P<level>\w+): not a name or code in the registry \(for example (?P<ex>.+)\)", "why.unknown_name"),
    (r"ambiguous (?P<level>\w+) name, it could be (?P<names>.+); give the code or the street", "why.ambiguous"),
    (r"(?P<comm>.+) belongs to (?P<parent>.+) \((?P<code>\d+)\), not to (?P<street>.+); correct the street or "
     r"the community", "why.wrong_street"),
    (r"community not known: .*", "why.no_community"),
    (r"(?P<comm>.+) already has a community-tier centre \((?P<ref>.+?)\); one per community: make this one a "
     r"station \(服务站\) or correct its community(?P<ill> — found from the illustrative boundaries.*)?",
     "why.second_community_centre"),
    (r"the community of (?P<n>\d+) community-tier centre\(s\) was found from the illustrative boundaries.*",
     "why.located_illustrative"),
    (r"a centre with this id exists; choose another id or leave it empty", "why.id_exists"),
    (r"no centre with id (?P<id>.+) \(it may have been deleted; reload\)", "why.no_such_id"),
    # reading files (geo.io.sources)
    (r"file not found: (?P<p>.+); check the path", "why.not_found"), (r"not a file: (?P<p>.+)", "why.not_file"),
    (rf"the file is (?P<n>{N}) MB, over the (?P<limit>{N}) MB limit; .*", "why.too_big"),
    (rf"the file has more than (?P<n>{N}) rows, over the limit; .*", "why.too_many_rows"),
    (rf"the file has (?P<n>{N}) columns, over the (?P<limit>{N}) limit; .*", "why.too_many_columns"),
    (r"old Excel \.xls files are not supported; .*", "why.xls"),
    (r"a Shapefile is several files; .*", "why.shapefile_parts"),
    (r"not a readable zip file \((?P<e>.+)\); zip the files again", "why.bad_zip"),
    (r"the archive unpacks to (?P<n>\d+) MB, over the limit; .*", "why.zip_bomb"),
    (r"archive member (?P<m>.+) has an unsafe path .*", "why.zip_path"),
    (r"cannot read the text encoding; .*", "why.encoding"),
    (r"the data contains NUL bytes .*", "why.nul"),
    (r"cannot read the file as CSV \((?P<e>.+)\); save it again as CSV UTF-8", "why.bad_csv"),
    (r"the workbook has no sheets", "why.no_sheets"),
    (r"no sheet named (?P<s>.+); the sheets are (?P<all>.+)", "why.no_sheet"),
    (r"the workbook has (?P<n>\d+) sheets \((?P<all>.+)\); read the first, (?P<first>.+)", "why.many_sheets"),
    (r"sheet (?P<s>.+) is a chart, not a table", "why.chart"),
    (r"cannot read the file as an Excel workbook \((?P<e>.+)\); .*", "why.bad_xlsx"),
    (r"cannot read sheet (?P<s>.+) \((?P<e>.+)\); .*", "why.bad_sheet"),
    (r"a second (?P<c>.+) column; only (?P<used>.+) is used", "why.second_column"),
    (r"(?P<what>columns|properties) not imported \(not part of .+\)", "why.not_imported"),
    (r"the file is empty; add a header row \((?P<ex>.+)\) and the (?P<items>.+)", "why.empty_file"),
    (r"the file is empty; add the header row and the records", "why.empty_plain"),
    (r"rows 1–(?P<n>\d+) above the header were skipped \(title rows\)", "why.title_rows"),
    (r"values beyond the last header column were ignored; .*", "why.beyond_header"),
    (r"the zip holds no \.shp file; .*", "why.no_shp"),
    (r"no Shapefile named (?P<l>.+) in the zip; it holds (?P<all>.+)", "why.no_shp_named"),
    (r"the zip holds (?P<n>\d+) Shapefiles; read (?P<l>.+)", "why.many_shp"),
    (r"no layer named (?P<l>.+); the layers are (?P<all>.+)", "why.no_layer"),
    (r"the file has (?P<n>\d+) layers \((?P<all>.+)\); read the first", "why.many_layers"),
    (r"the file has no coordinate system \(\.prj\).*", "why.no_prj"),
    (r"cannot convert from (?P<a>.+) to WGS-84 \((?P<e>.+)\)", "why.no_convert"),
    (r"cannot read the file as (?P<k>.+?) \((?P<e>.+)\)", "why.unreadable"),
    (r"a zip file is not a (?P<items>.+) table; .*", "why.zip_table"),
    (r"expected a CSV or XLSX table", "why.csv_xlsx"),
    # boundaries (geo.io.boundaries)
    (rf"boundaries overlap by (?P<a>{N}) km² \((?P<names>.+)\); .*", "why.overlap"),
    (rf"(?P<a>{N}) km² of the boundaries lie outside the district outline", "why.outside_bounds"),
    (rf"(?P<a>{N}) km² of the district is in no boundary of this file \((?P<p>{N})%\)", "why.uncovered"),
    (r"unknown level (?P<l>.+); use 'street' or 'community'", "why.unknown_level"),
    (r"boundaries must be GeoJSON, GeoPackage or a zipped Shapefile.*", "why.bounds_format"),
    (r"the file has no features", "why.no_features"),
    (r"no feature matches a street or community of (?P<where>.+?)'s registry; .*?(?:\(e\.g\. (?P<ex>.+)\))?",
     "why.no_match_any"),
    (r"not matched: no code or name", "why.no_code"),
    (r"(?P<label>.+): invalid polygon, repaired", "why.repaired"),
    (r"the boundaries fit (?P<where>.+?) better read as (?P<s>\w+) \((?P<a>\d+)% inside\) than as (?P<c>\w+) "
     r"\((?P<b>\d+)%\); .*", "why.bounds_crs"),
    (r"(?P<name>.+) has (?P<n>\d+) features \(rows (?P<rows>.+)\); merged into one", "why.merged"),
    (r"(?P<n>\d+) of the registry's (?P<all>\d+) (?P<lv>\w+)s have no boundary in this file", "why.missing_bounds"),
    # the store (geo.io.storefile): the parts of "the store is damaged: …" (NESTED) and its other refusals
    (r"layer (?P<layer>\w+), key (?P<fid>.+) \(version (?P<v>\d+)\): its geometry is not valid WKB", "why.dmg_geom"),
    (r"layer (?P<layer>\w+), key (?P<fid>.+) \(version (?P<v>\d+)\): its key or properties are not UTF-8 text",
     "why.dmg_text"),
    (r"layer (?P<layer>\w+), key (?P<fid>.+?)(?: \(version \d+\))?: its properties are not a JSON object",
     "why.dmg_json"),
    (r"layer (?P<layer>\w+), key (?P<fid>.+) \(version (?P<v>\d+)\): the version lists it but the store holds no "
     r"row for it", "why.dmg_missing"),
    (r"layer (?P<layer>\w+), version (?P<v>\d+): its columns or key order cannot be read \((?P<e>.+)\)",
     "why.dmg_meta"),
    (r"layer (?P<layer>\w+) cannot be read \((?P<e>.+)\)", "why.dmg_layer"),
    (r"the file cannot be read \((?P<e>.+)\)", "why.dmg_file"),
    (r"restore an earlier version on the app's data page \(.+\), or move the store file away to start a new one",
     "why.dmg_rescue"),
    (r"the store is read-only: (?P<p>.+); make it writable or choose another store", "why.store_readonly"),
    (r"not a store: a SQLite/GeoPackage file without the app's version history \(no store_versions table\); "
     r"nothing was written; give the store the app saves \((?P<name>.+)\)", "why.not_store"),
    (r"not a readable store \((?P<e>.+)\): not a SQLite/GeoPackage file, or a damaged one; give the store the app "
     r"saves \((?P<name>.+)\), or move this file away to start a new one", "why.store_unreadable"),
    (r"not a store: the file is empty; give the store the app saves \((?P<name>.+)\)", "why.store_empty"),
]]

#: Reasons that hold other reasons: (pattern, catalogue key, the group(s) holding reasons).
NESTED: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.S), k) for p, k in [
    (r"not matched to the registry: (?P<rest>.+)", "why.not_matched"),
    (r"(?P<label>.+?): (?P<rest>.+) \(a vertex of the boundary\)", "why.vertex"),
    (r"the store is damaged: (?P<rest>.+)", "why.store_damaged"),
]]

LEVELS = ("street", "community", "district")


def _word(value: str, lang: str) -> str:
    """A level, coordinate-system code or 'row N' reference inside a reason, in ``lang``."""
    v = value.strip()
    if v in LEVELS:
        return tr(f"why.lv_{v}", lang)
    if v in ("wgs84", "gcj02", "bd09"):
        return crs_label(v, lang)
    m = re.fullmatch(r"row (\d+)", v)
    if m:
        return tr("why.row_ref", lang, row=m.group(1))
    m = re.fullmatch(r"centre (.+)", v)
    if m:
        return tr("why.centre_ref", lang, id=m.group(1))
    return v.replace(" or ", tr("why.or", lang))


def reason_text(reason: str, lang: str = "zh", place: District | None = None) -> str:
    """An importer's reason in ``lang`` (English reasons stay as ``geo.io`` words them).

    A reason naming a district (in English) names it in ``lang`` when it is ``place``, the
    District of the page; another name is kept as the reason gives it."""
    if isinstance(reason, Msg):
        return reason.text(lang)
    text = str(reason)
    if lang == "en":
        return text
    for pattern, key in PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            fields = {k: _word(v or "", lang) for k, v in m.groupdict().items() if k != "where"}
            if "where" in m.groupdict():
                fields["district"] = _district_word(m.group("where"), lang, place)
            if key == "why.second_community_centre":
                fields["ill"] = tr("why.ill_suffix", lang) if m.group("ill") else ""
            if key == "why.no_match_any":
                fields["ex"] = (m.group("ex") or "").replace(" or ", tr("why.or", lang)) or "—"
            return tr(key, lang, **fields)
    for pattern, key in NESTED:
        m = pattern.fullmatch(text)
        if m:
            rest = "；".join(reason_text(part, lang, place) for part in m.group("rest").split("; "))
            return tr(key, lang, **{**m.groupdict(), "rest": rest})
    head, sep, rest = text.partition(": ")  # "C0003: <reason>", "金谷居委会: <reason>"
    if sep and len(head) <= 80:
        inner = reason_text(rest, lang, place)
        if inner != rest:
            return f"{head}：{inner}"
    return text


def _district_word(name: str, lang: str, place: District | None) -> str:
    """The district a reason names (in English), in ``lang`` when it is the page's ``place``."""
    name = name.strip()
    if place is not None and name in (place.label("en"), place.label("en", full=True), place.code):
        return place.label(lang)
    return name


def where_text(row: int | None, column: str | None, lang: str = "zh") -> str:
    """``第 3 行，“经度”列`` / ``row 3, column lon`` ('' when neither is known)."""
    parts = []
    if row is not None:
        parts.append(tr("why.at_row", lang, row=row))
    if column:
        parts.append(tr("why.at_column", lang, column=column))
    return tr("why.sep", lang).join(parts)


def error_text(exc: BaseException, lang: str = "zh", place: District | None = None) -> str:
    """A failed read or check as one line in ``lang``: the file, where, why, the value, how many more.

    Markdown-safe (the file name and the cells come from the user).
    """
    from geo.app.text import md

    if not isinstance(exc, DataError) or lang == "en":
        return md(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)
    first = exc.problems[0]
    where = where_text(first.row, first.column, lang)
    value = tr("why.value", lang, value=first.value) if first.value not in ("", None) else ""
    more = tr("why.more", lang, n=len(exc.problems) - 1) if len(exc.problems) > 1 else ""
    head = Path(exc.path).name + (tr("why.sep", lang) + where if where else "")
    return md(tr("why.error", lang, head=head, reason=reason_text(first.reason, lang, place), value=value, more=more))
