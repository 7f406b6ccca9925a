"""What a user's file unpacks to, measured and bounded before it is parsed.

Zip archives (XLSX workbooks, zipped Shapefiles): what a zip unpacks to is read from its
directory: :mod:`zipfile` never gives more bytes than a member declares (it stops there and
checks the CRC), so the declared sizes bound what a reader can be made to parse. A workbook's
cells are counted by streaming its XML in 1 MB pieces, stopping at the first cell over the
limit, before openpyxl parses anything: openpyxl reads a sheet without a ``<dimension>`` to its
end just to open the workbook.

GeoJSON: GDAL refuses one object it estimates above ``OGR_GEOJSON_MAX_OBJ_SIZE`` (200 MB of
parsed objects by default, which a single polygon of ~37 MB of text exceeds) with a hint about
that option; the reader's own byte limit bounds the file instead, see :func:`geojson_objects`.

The limits themselves are the reader's (:mod:`geo.io.sources`); they are handed in.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from geo.io.errors import DataError
from geo.io.files import MEMBER, check_name
from geo.locale import Msg

_CELL_TAGS = tuple(b"<c" + end for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))  # <c ...>, <c>, <c/>
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s/>]")  # <x:c ...>
_CHUNK = 1 << 20
_GDAL_OPTIONS = threading.Lock()
_GEOJSON_MAX = "OGR_GEOJSON_MAX_OBJ_SIZE"


def members(name: str, raw: bytes, max_unpacked: int) -> list[zipfile.ZipInfo]:
    """The members of a zip, refusing one that unpacks to more than ``max_unpacked`` bytes or
    names a member that would leave the folder."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise DataError(name, Msg.of("why.bad_zip", e=str(exc))) from None
    total = sum(i.file_size for i in infos)
    if total > max_unpacked:
        raise DataError(name, Msg.of("why.zip_bomb", n=total / 1e6))
    for i in infos:
        try:
            check_name(i.filename, MEMBER)
        except DataError:
            raise DataError(name, Msg.of("why.zip_path", m=i.filename)) from None
    return infos


def check_workbook(name: str, raw: bytes, infos: list[zipfile.ZipInfo], max_xml_bytes: int,
                   max_cells: int) -> None:
    """Refuse a workbook whose parts unpack to more than ``max_xml_bytes`` in all, or one of
    whose parts holds more than ``max_cells`` cells -- before any of it is parsed."""
    total = sum(i.file_size for i in infos)
    if total > max_xml_bytes:
        raise DataError(name, Msg.of("why.xml_bytes", n=total / 1e6, limit=max_xml_bytes / 1e6))
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        for info in infos:
            if _cells_over(z, info, max_cells):
                raise DataError(name, Msg.of("why.too_many_cells", n=max_cells))


def _cells_over(z: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bool:
    """True as soon as more than ``limit`` cells have been seen in ``info`` (a damaged member
    counts what could be read; openpyxl then says it is damaged)."""
    seen, tail = 0, b""
    try:
        with z.open(info) as f:
            while piece := f.read(_CHUNK):
                text = tail + piece
                cut = text.rfind(b"<", max(0, len(text) - 64))  # a tag cut in two: counted next time
                cut = len(text) if cut < 0 else cut
                seen += _cells(text[:cut])
                if seen > limit:
                    return True
                tail = text[cut:]
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return False
    return seen + _cells(tail) > limit


def _cells(text: bytes) -> int:
    """The cell elements in a piece of sheet XML (plain counts of the usual forms: twice as
    fast as one pattern for all)."""
    return sum(text.count(tag) for tag in _CELL_TAGS) + len(_PREFIXED_CELL.findall(text))


def too_many_cells(name: str, limit: int) -> DataError:
    """The refusal of a sheet found, while it is read, to hold more than ``limit`` cells."""
    return DataError(name, Msg.of("why.sheet_too_many_cells", n=limit))


@contextmanager
def geojson_objects(lift: bool = True) -> Iterator[None]:
    """While the block runs (when ``lift``), GDAL reads a GeoJSON object of any size: the file's
    size is already checked. GDAL's options are process-wide, so the option is set and put back
    under a lock, and two reads never undo each other's."""
    if not lift:
        yield
        return
    import pyogrio

    with _GDAL_OPTIONS:
        before = pyogrio.get_gdal_config_option(_GEOJSON_MAX)
        pyogrio.set_gdal_config_options({_GEOJSON_MAX: "0"})  # 0: no limit (GDAL >= 3.5.2)
        try:
            yield
        finally:
            pyogrio.set_gdal_config_options({_GEOJSON_MAX: before})
