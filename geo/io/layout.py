"""The illustrative layout: street and community polygons and centre positions.

The real boundaries of a district's streets and communities (Longhu: 10 and 125), and the
positions of its centres, are not available offline. Until a planner loads the real ones, the
tool uses a layout generated here, for the shipped district and for any other
(:mod:`geo.io.districts`). It is deterministic (same input, same output, bit for bit) and every
feature it makes carries ``geometry_source``/``position_source`` = ``"illustrative"``.

The rule, in plain words:

* The district is cut into a 50 m grid of cells (clipped to the real outline; coarser for a
  large district, so that it has at most :data:`MAX_CELLS` cells), in the UTM zone of its
  centroid.
* Every community gets a target area by its kind: a residents' committee (居委会, urban) weighs
  1, a villagers' committee (村委会) weighs :data:`VILLAGE_WEIGHT`; a street's target is the sum
  of its communities'. Urban communities therefore come out about 4× smaller than villages
  (roughly 0.6 km² against 2.5 km² here).
* Cells are split among streets by a capacity-constrained power diagram (Lloyd iterations with
  additive weights tuned until every region has its target area), which gives compact
  regions; any detached piece is handed to the neighbour it touches most, so every region is
  one piece (a district of several islands keeps one piece per island). Streets with the larger
  share of residents' committees get the seeds nearest the west end of the district (where
  Longhu adjoins Shantou's old city centre; elsewhere simply a fixed, documented choice).
* The same split is repeated inside each street for its communities (urban ones nearest the
  west end), cell polygons are merged, and the shared borders are smoothed with
  :func:`shapely.coverage_simplify`, which keeps the tiling exact. Streets are the union of
  their communities.
* Centres: one inside each community and each street (a seeded random point well inside the
  polygon), the district centre inside the most urban street, and (when asked: the shipped
  Longhu layers have 36) stations placed one by one where communities are densest
  (communities per km²) and farthest from existing centres.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage
from scipy.cluster.vq import kmeans2

from geo.engine import crs as _crs
from geo.engine.limits import Range

CELL_M = 50.0
MAX_CELLS = 80_000  # a larger district gets larger cells (Longhu: 57,000 cells of 50 m)
VILLAGE_WEIGHT = 4.0
N_STATIONS = 36  # the shipped Longhu layers
STATIONS = Range(0, 1000, integer=True)  # illustrative stations a unit can be given (Longhu has 36)
SMOOTH_M = 60.0  # border smoothing for 50 m cells (scaled with the cell)
ILLUSTRATIVE = "illustrative"


def community_kind(name: str) -> str:
    """'village' for a villagers' committee (村委会), else 'urban' (居委会)."""
    return "village" if name.endswith("村委会") else "urban"


def center_name_for(name: str, level: str) -> str:
    """Conventional name of a division's service centre, e.g. 金谷社区党群服务中心."""
    if level == "street":
        return f"{name}党群服务中心"
    if name.endswith("村委会"):
        return f"{name[:-3]}党群服务中心"
    base = re.sub(r"(社区)?居委会$", "", name)
    return f"{base}社区党群服务中心"


# --------------------------------------------------------------------------- grid


def _grid_cells(outline: shapely.Geometry, cell: float):
    """Clip a regular grid to the outline; return cell polygons, raster indexes and centres."""
    minx, miny, maxx, maxy = outline.bounds
    nx = int(np.ceil((maxx - minx) / cell))
    ny = int(np.ceil((maxy - miny) / cell))
    ii, jj = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    x0 = minx + jj * cell
    y0 = miny + ii * cell
    boxes = shapely.box(x0, y0, x0 + cell, y0 + cell)
    shapely.prepare(outline)
    hit = shapely.intersects(outline, boxes)
    inside = shapely.contains_properly(outline, boxes)
    polys = boxes.copy()
    edge = hit & ~inside
    polys[edge] = shapely.intersection(boxes[edge], outline)
    keep = hit & (shapely.area(polys) > 1e-6)
    polys = polys[keep]
    cells = pd.DataFrame({"i": ii[keep], "j": jj[keep], "area": shapely.area(polys)})
    pts = shapely.point_on_surface(polys)
    cells["x"] = shapely.get_x(pts)
    cells["y"] = shapely.get_y(pts)
    return polys, cells, (ny, nx)


# --------------------------------------------------------------------------- partition


def _power_partition(xy: np.ndarray, area: np.ndarray, seeds: np.ndarray, target: np.ndarray,
                     iterations: int = 300, minimum: np.ndarray | None = None) -> np.ndarray:
    """Split weighted points into len(seeds) compact regions of the target areas.

    A capacity-constrained power diagram: a point goes to the seed minimising
    squared distance minus the seed's weight; weights are nudged until each region holds its
    target area and seeds move to their regions' centroids (Lloyd) for compactness. Every region
    then gets at least ``minimum`` points (default one each: see :func:`_at_least`).
    """
    labels = _power_labels(xy, area, seeds, target, iterations)
    return _at_least(labels, xy, seeds, np.ones(len(seeds), dtype=int) if minimum is None else minimum)


def _at_least(labels: np.ndarray, xy: np.ndarray, seeds: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    """Give each region short of ``minimum`` points the points nearest its seed that a region
    with more than its own minimum can spare. A tiny unit (a prison or a farm listed as a
    street with one community) can otherwise lose every cell to its neighbours."""
    labels = labels.copy()
    counts = np.bincount(labels, minlength=len(seeds))
    for r in np.flatnonzero(counts < minimum):
        for i in np.argsort(((xy - seeds[r]) ** 2).sum(axis=1)):
            if counts[r] >= minimum[r]:
                break
            owner = labels[i]
            if owner != r and counts[owner] > minimum[owner]:
                labels[i] = r
                counts[owner] -= 1
                counts[r] += 1
    return labels


def _power_labels(xy: np.ndarray, area: np.ndarray, seeds: np.ndarray, target: np.ndarray,
                  iterations: int) -> np.ndarray:
    """The power-diagram iterations of :func:`_power_partition`."""
    k = len(seeds)
    if k == 1:
        return np.zeros(len(xy), dtype=int)
    seeds = seeds.astype(float).copy()
    w = np.zeros(k)
    scale = target / np.pi  # squared radius of a disc of the target area
    labels = np.zeros(len(xy), dtype=int)
    offset = xy.mean(axis=0)  # centred: the expanded squares below lose no precision
    xy, seeds = xy - offset, seeds - offset
    for it in range(iterations):
        # |p - s|² - w = |p|² - 2 p·s + |s|² - w; |p|² is the same for every seed, so the argmin
        # needs only the matrix product (one BLAS call instead of an n×k×2 temporary)
        labels = np.argmin((seeds ** 2).sum(axis=1) - w - 2.0 * (xy @ seeds.T), axis=1)
        got = np.bincount(labels, weights=area, minlength=k)
        w += 0.5 * scale * (1.0 - got / target)
        if it % 10 == 9 and it < iterations - 50:
            for r in range(k):
                m = labels == r
                if m.any():
                    seeds[r] = np.average(xy[m], axis=0, weights=area[m])
    return labels


def _make_contiguous(labels: np.ndarray, cells: pd.DataFrame, shape: tuple[int, int],
                     allowed: np.ndarray | None = None) -> np.ndarray:
    """Hand every detached piece of a region to the neighbouring region it touches most.

    ``allowed`` (same length as labels) restricts the neighbours to cells of the same group,
    so a community piece never moves into another street.
    """
    labels = labels.copy()
    grid = np.full(shape, -1, dtype=int)
    group = np.full(shape, -1, dtype=int)
    grid[cells["i"], cells["j"]] = labels
    group[cells["i"], cells["j"]] = 0 if allowed is None else allowed
    for _ in range(20):
        changed = False
        for r in np.unique(grid[grid >= 0]):
            comp, n = ndimage.label(grid == r)
            if n <= 1:
                continue
            sizes = ndimage.sum_labels(np.ones(shape), comp, index=np.arange(1, n + 1))
            biggest = int(np.argmax(sizes)) + 1
            for c in range(1, n + 1):
                if c == biggest:
                    continue
                piece = comp == c
                ring = ndimage.binary_dilation(piece) & ~piece
                grp = group[piece][0]
                neigh = grid[ring & (grid >= 0) & (grid != r) & (group == grp)]
                if len(neigh) == 0:
                    continue
                grid[piece] = np.bincount(neigh).argmax()
                changed = True
        if not changed:
            break
    return grid[cells["i"], cells["j"]]


def _absorb_fragments(geoms: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Merge every detached part of a polygon into the neighbour it shares most border with.

    The grid step can leave a region with a sliver cut off by the district's edge; handing
    it to a neighbour (of the same group when one touches it) keeps every region in one piece
    and the tiling exact.
    """
    geoms = geoms.copy()
    for i, g in enumerate(geoms):
        if g.geom_type != "MultiPolygon":
            continue
        parts = sorted(g.geoms, key=lambda q: q.area, reverse=True)
        geoms[i] = parts[0]
        for part in parts[1:]:
            shared = shapely.length(shapely.intersection(part.boundary, shapely.boundary(geoms)))
            shared[i] = 0.0
            same = groups == groups[i]
            j = int(np.argmax(np.where(same, shared, 0.0))) if (shared[same] > 0).any() \
                else int(np.argmax(shared))
            geoms[j] = shapely.coverage_union(geoms[j], part)
    return geoms


def _seeds(xy: np.ndarray, k: int, seed: int) -> np.ndarray:
    if k == 1:
        return xy.mean(axis=0, keepdims=True)
    centroids, _ = kmeans2(xy, k, seed=np.random.default_rng(seed), minit="++")
    return centroids


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Frame:
    """Where the layout is drawn: the metric CRS, the grid cell, the border smoothing."""

    crs: str
    cell_m: float
    smooth_m: float


def cell_size(area_m2: float, cell_m: float = CELL_M) -> float:
    """The grid cell (m): ``cell_m``, or larger (a multiple of 10 m) so the district has at
    most :data:`MAX_CELLS` cells."""
    need = np.sqrt(area_m2 / MAX_CELLS)
    return float(cell_m if need <= cell_m else np.ceil(need / 10.0) * 10.0)


def build_layout(district: gpd.GeoDataFrame, divisions: pd.DataFrame, cell_m: float = CELL_M,
                 seed: int | None = None, n_stations: int = N_STATIONS,
                 center_name: str | None = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Generate the illustrative streets, communities and centres for a district.

    Parameters
    ----------
    district : one-row GeoDataFrame of the real outline (any CRS), with ``code`` and ``name``.
    divisions : the registry, columns ``code, name, level, parent_code``.
    cell_m : the grid cell for a district of up to :data:`MAX_CELLS` such cells.
    seed : the random seed (default: the district's code).
    n_stations : how many stations to place (0: none).
    center_name : the district centre's name (default ``<district>党群服务中心``).

    Returns
    -------
    streets, communities (GeoDataFrames in EPSG:4326) and centres (DataFrame with the
    ``centers.csv`` columns).
    """
    code, name = str(district["code"].iat[0]), str(district["name"].iat[0])
    c = district.to_crs("EPSG:4326").geometry.union_all().centroid
    metric = _crs.utm_crs(c.x, c.y)
    outline = district.to_crs(metric).geometry.union_all()
    cell = cell_size(outline.area, cell_m)
    frame = _Frame(metric, cell, SMOOTH_M * cell / CELL_M)
    seed = int(code) if seed is None else seed
    streets = divisions[divisions["level"] == "street"].sort_values("code").reset_index(drop=True)
    comms = divisions[divisions["level"] == "community"].sort_values("code").reset_index(drop=True)
    comms["kind"] = comms["name"].map(community_kind)
    comms["weight"] = np.where(comms["kind"] == "village", VILLAGE_WEIGHT, 1.0)
    polys, cells, shape = _grid_cells(outline, cell)
    west = np.array([outline.bounds[0], outline.centroid.y])
    s_lab = _street_labels(streets, comms, cells, shape, west, seed)
    c_lab = _community_labels(streets, comms, cells, shape, s_lab, west, seed)
    street_gdf, comm_gdf = _polygons(streets, comms, polys, c_lab, frame)
    centers = _place_centers(street_gdf, comm_gdf, seed, frame, code,
                             center_name or f"{name}党群服务中心", n_stations)
    return (street_gdf.to_crs("EPSG:4326"), comm_gdf.to_crs("EPSG:4326"), centers)


def _street_labels(streets: pd.DataFrame, comms: pd.DataFrame, cells: pd.DataFrame, shape: tuple,
                   west: np.ndarray, seed: int) -> np.ndarray:
    """The street of each grid cell: the most urban streets get the seeds nearest the west end."""
    xy = cells[["x", "y"]].to_numpy()
    area = cells["area"].to_numpy()
    stats = comms.groupby("parent_code").agg(weight=("weight", "sum"),
                                             urban=("kind", lambda s: (s == "urban").mean()))
    streets = streets.join(stats, on="code")
    order = streets.sort_values(["urban", "code"], ascending=[False, True]).index.to_numpy()
    seeds = _seeds(xy, len(streets), seed)
    seeds = seeds[np.argsort(np.hypot(*(seeds - west).T))]
    street_seeds = np.empty_like(seeds)
    street_seeds[order] = seeds
    target = streets["weight"].to_numpy() / comms["weight"].sum() * area.sum()
    n_comms = comms.groupby("parent_code").size().reindex(streets["code"]).fillna(0).to_numpy(int)
    labels = _power_partition(xy, area, street_seeds, target, minimum=np.maximum(n_comms, 1))
    return _make_contiguous(labels, cells, shape)


def _community_labels(streets: pd.DataFrame, comms: pd.DataFrame, cells: pd.DataFrame, shape: tuple,
                      s_lab: np.ndarray, west: np.ndarray, seed: int) -> np.ndarray:
    """The community of each grid cell, inside its street: urban ones nearest the west end."""
    xy = cells[["x", "y"]].to_numpy()
    area = cells["area"].to_numpy()
    c_lab = np.full(len(cells), -1, dtype=int)
    for s_idx, s_row in streets.iterrows():
        m = s_lab == s_idx
        members = comms.index[comms["parent_code"] == s_row["code"]].to_numpy()
        sub_xy, sub_area = xy[m], area[m]
        seeds = _seeds(sub_xy, len(members), seed + s_idx)
        seeds = seeds[np.argsort(np.hypot(*(seeds - west).T))]
        ranked = (comms.loc[members].assign(village=lambda d: d["kind"] == "village")
                  .sort_values(["village", "code"]).index.to_numpy())
        own_seeds = np.empty_like(seeds)
        own_seeds[np.searchsorted(members, ranked)] = seeds
        w = comms.loc[members, "weight"].to_numpy()
        c_lab[m] = members[_power_partition(sub_xy, sub_area, own_seeds, w / w.sum() * sub_area.sum())]
    return _make_contiguous(c_lab, cells, shape, allowed=s_lab)


def _polygons(streets: pd.DataFrame, comms: pd.DataFrame, polys: np.ndarray,
              c_lab: np.ndarray, frame: _Frame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Street and community polygons (metric CRS) from the cells' community labels."""
    cell_gdf = gpd.GeoDataFrame({"community": c_lab}, geometry=polys, crs=frame.crs)
    merged = cell_gdf.dissolve(by="community", method="coverage").sort_index()
    geoms = np.asarray(merged.geometry.values)
    geoms = shapely.coverage_simplify(geoms, frame.smooth_m, simplify_boundary=False)
    geoms = _absorb_fragments(shapely.make_valid(geoms), comms.loc[merged.index, "parent_code"].to_numpy())
    comm_gdf = gpd.GeoDataFrame({
        "code": comms.loc[merged.index, "code"].to_numpy(),
        "name": comms.loc[merged.index, "name"].to_numpy(),
        "street_code": comms.loc[merged.index, "parent_code"].to_numpy(),
        "kind": comms.loc[merged.index, "kind"].to_numpy(),
        "geometry_source": ILLUSTRATIVE,
    }, geometry=geoms, crs=frame.crs).sort_values("code").reset_index(drop=True)
    street_gdf = (comm_gdf[["street_code", "geometry"]].dissolve(by="street_code", method="coverage")
                  .reset_index().rename(columns={"street_code": "code"}))
    street_gdf = street_gdf.merge(streets[["code", "name"]], on="code")
    street_gdf["geometry_source"] = ILLUSTRATIVE
    return street_gdf[["code", "name", "geometry_source", "geometry"]], comm_gdf


def _point_inside(poly: shapely.Geometry, rng: np.random.Generator, avoid: list[shapely.Point],
                  min_gap: float = 150.0) -> shapely.Point:
    """A random point well inside a polygon (in its inner half), away from given points."""
    radius = shapely.maximum_inscribed_circle(poly, 1.0).length
    core = poly.buffer(-0.4 * radius)
    if core.is_empty:
        core = poly
    minx, miny, maxx, maxy = core.bounds
    best, best_gap = None, -1.0
    for _ in range(200):
        p = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if not core.contains(p):
            continue
        gap = min((p.distance(a) for a in avoid), default=np.inf)
        if gap >= min_gap:
            return p
        if gap > best_gap:
            best, best_gap = p, gap
    return best if best is not None else shapely.point_on_surface(poly)


def _place_centers(streets: gpd.GeoDataFrame, comms: gpd.GeoDataFrame, seed: int, frame: _Frame,
                   code: str, center_name: str, n_stations: int) -> pd.DataFrame:
    """One centre in each community and street, the district centre, and ``n_stations`` stations."""
    rows: list[dict] = []
    placed: list[shapely.Point] = []

    def add(id_, name, tier, street_code, community_code, pt):
        placed.append(pt)
        rows.append({"id": id_, "name": name, "tier": tier, "street_code": street_code,
                     "community_code": community_code, "x": pt.x, "y": pt.y})

    for _, c in comms.iterrows():
        pt = _point_inside(c.geometry, np.random.default_rng(int(c["code"])), placed)
        add(f"community-{c['code']}", center_name_for(c["name"], "community"), "community",
            c["street_code"], c["code"], pt)
    urban_share = comms.groupby("street_code")["kind"].apply(lambda s: (s == "urban").mean())
    for _, s in streets.iterrows():
        pt = _point_inside(s.geometry, np.random.default_rng(int(s["code"])), placed)
        add(f"street-{s['code']}", center_name_for(s["name"], "street"), "street", s["code"], "", pt)
    core_street = streets.set_index("code").loc[urban_share.idxmax()]
    pt = _point_inside(core_street.geometry, np.random.default_rng(seed), placed)
    add(f"district-{code}", center_name, "district", urban_share.idxmax(), "", pt)
    if n_stations > 0:
        _place_stations(streets, comms, frame, n_stations, placed, add)

    df = pd.DataFrame(rows)
    pts = gpd.GeoSeries(gpd.points_from_xy(df["x"], df["y"]), crs=frame.crs).to_crs("EPSG:4326")
    df["lon"] = np.round(pts.x.to_numpy(), 7)
    df["lat"] = np.round(pts.y.to_numpy(), 7)
    df["position_source"] = ILLUSTRATIVE
    tier_order = {"district": 0, "street": 1, "community": 2, "station": 3}
    df = df.sort_values(["tier", "id"], key=lambda c: c.map(tier_order) if c.name == "tier" else c)
    return df[["id", "name", "tier", "street_code", "community_code", "lon", "lat",
               "position_source"]].reset_index(drop=True)


def _place_stations(streets: gpd.GeoDataFrame, comms: gpd.GeoDataFrame, frame: _Frame, n_stations: int,
                    placed: list[shapely.Point], add) -> None:
    """Stations by weighted farthest-point sampling on a lattice (100 m for 50 m cells):
    where communities are densest and farthest from the centres already placed."""
    step = 2.0 * frame.cell_m
    density = 1e6 / comms.area.to_numpy()  # communities per km² around each community
    minx, miny, maxx, maxy = comms.total_bounds
    gx, gy = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step))
    cand = shapely.points(gx.ravel(), gy.ravel())
    inner = comms.union_all().buffer(-3.0 * frame.cell_m)
    cand = cand[shapely.contains_xy(inner, gx.ravel(), gy.ravel())]
    idx_pt, idx_poly = comms.sindex.query(cand, predicate="within")
    cand = cand[idx_pt]
    cand_density = density[idx_poly]
    cand_street = comms["street_code"].to_numpy()[idx_poly]
    cx, cy = shapely.get_x(cand), shapely.get_y(cand)
    px = np.array([p.x for p in placed])
    py = np.array([p.y for p in placed])
    gap = np.min(np.hypot(cx[:, None] - px[None, :], cy[:, None] - py[None, :]), axis=1)
    names = streets.set_index("code")["name"]
    for n in range(1, min(n_stations, len(cand)) + 1):
        best = int(np.argmax(cand_density * gap))
        pt = shapely.Point(cx[best], cy[best])
        add(f"station-{n:02d}", f"示意服务站{n:02d}（{names[cand_street[best]]}）", "station",
            cand_street[best], "", pt)
        gap = np.minimum(gap, np.hypot(cx - pt.x, cy - pt.y))
