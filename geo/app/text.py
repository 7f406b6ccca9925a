"""The page's words: one catalogue of every user-visible string, in Chinese and English.

Every screen of the Streamlit app reads its text through :func:`tr` (``tr(key, lang, **fmt)``).
Keys of the data screen start with ``data.``, keys of the planner tools with ``plan.``; the rest
belong to the page itself. Chinese comes first in every entry.
"""

from __future__ import annotations

import re

from geo.engine import crs as _crs
from geo.engine import schema

LANG_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}

TEXT: dict[str, tuple[str, str]] = {
    "title": ("龙湖区15分钟党群服务圈", "Longhu 15-minute service circles"),
    "subtitle": ("汕头市龙湖区 · 172 个党群服务中心（站）步行可达性",
                 "Longhu District, Shantou · walking access to 172 party-and-public service centres"),
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
    "net_unreachable": ("{n} 个服务中心距路网超过 {m:.0f} 米，未计入覆盖（请检查路网范围）。",
                        ("{n} centre(s) are more than {m:.0f} m from the network and cover nothing "
                         "(check the network's extent).")),
    "data": ("数据", "Data"),
    "page": ("功能", "Screen"),
    "p_planner": ("规划视图", "Planner"),
    "p_resident": ("居民查询", "Resident"),
    "p_data": ("数据管理", "Data"),
    "computing": ("正在计算覆盖范围…", "Computing coverage…"),
    "covered": ("步行{minutes}覆盖率", "Covered within {minutes}"),
    "covered_help": ("全区面积中步行可达至少一个服务中心的比例", "Share of the district within reach of a centre"),
    "n_centers": ("纳入计算的中心", "Centres included"),
    "n_gaps": ("未覆盖空白区域（{km2:.2f} km²）", "Uncovered gaps ({km2:.2f} km²)"),
    "gaps_value": ("{n} 处", "{n}"),
    "district_area": ("全区面积", "District area"),
    "gap_list": ("空白区域（按面积从大到小）", "Gaps (largest first)"),
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
    "input": ("位置输入方式", "How to give your location"),
    "i_click": ("在地图上点击", "Click the map"),
    "i_coords": ("输入坐标", "Type coordinates"),
    "i_search": ("搜索村（社区）", "Search a community"),
    "click_hint": ("请在左侧地图上点击您所在的位置。", "Click your location on the map."),
    "lon": ("经度", "Longitude"), "lat": ("纬度", "Latitude"),
    "coord_crs": ("坐标系", "Coordinate system"),
    "search": ("村（社区）名称", "Community name"),
    "search_ph": ("例如：金谷、鸥上、华新", "e.g. 金谷, 鸥上, 华新"),
    "search_pick": ("匹配结果", "Matches"),
    "search_none": ("没有找到相近的村（社区）名称，请换个写法。", "No community name is close to that; try another spelling."),
    "nearest_head": ("最近的 {k} 个服务中心", "The {k} nearest centres"),
    "your_point": ("查询位置（WGS-84）：{lon:.6f}, {lat:.6f}", "Query point (WGS-84): {lon:.6f}, {lat:.6f}"),
    "outside": ("该位置不在龙湖区范围内，下列结果仅供参考。",
                "This point is outside Longhu District; the results below are for reference only."),
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
    "lg_point": ("查询位置", "Query point"),
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
    "data.real": ("真实", "real"), "data.illustrative": ("示意（程序生成）", "illustrative"),
    "data.shipped": ("程序自带", "shipped"),
    "data.store_at": ("我的数据保存在 {path}；每次修改都是一个新版本，可随时恢复。",
                      "Your data is kept in {path}; every change is a new version you can restore."),
    "data.tab_import": ("导入服务中心", "Import centres"), "data.tab_edit": ("编辑服务中心", "Edit centres"),
    "data.tab_bounds": ("替换边界", "Replace boundaries"), "data.tab_versions": ("版本记录", "Versions"),
    "data.tab_export": ("导出", "Export"),
    # import
    "data.imp_hint": (("上传 CSV / XLSX / GeoJSON / GeoPackage。必需列：名称、级别、经度、纬度（或 name, tier, lon, lat）；"
                       "可选：编号、街道、社区/村。导入后将替换当前全部服务中心（旧数据保留在版本记录中）。"),
                 ("Upload CSV / XLSX / GeoJSON / GeoPackage. Required columns: name, tier, lon, lat (or 名称, 级别, "
                  "经度, 纬度); optional: id, street, community. Importing replaces all current centres (the old "
                 "ones stay in the version history).")),
    "data.imp_file": ("服务中心文件", "Centres file"),
    "data.imp_crs": ("文件中的坐标系", "Coordinate system of the file"),
    "data.imp_summary": ("{file}：读取 {n} 行，有效 {ok} 行，有问题 {bad} 行。",
                         "{file}: {n} rows read, {ok} valid, {bad} with problems."),
    "data.imp_crs_warn": (("坐标系可能选错了：按 {chosen} 读取，{n_chosen}/{n} 个点落在龙湖区内；按 {best} 读取，"
                           "{n_best}/{n} 个点在区内。建议改用 {best}。"),
                     ("The coordinate system looks wrong: read as {chosen}, {n_chosen} of {n} points fall inside "
                      "Longhu; read as {best}, {n_best} do. Use {best}.")),
    "data.imp_use_crs": ("改用 {best}", "Use {best}"),
    "data.imp_problems": ("问题清单（全部列出；“错误”行不会导入）", "Every problem (rows with an error are not imported)"),
    "data.p_row": ("行号", "Row"), "data.p_column": ("列", "Column"), "data.p_value": ("值", "Value"), "data.p_reason": ("原因", "Reason"),
    "data.p_level": ("级别", "Level"), "data.lv_error": ("错误", "error"), "data.lv_warning": ("提醒", "warning"),
    "data.imp_all": ("导入全部 {n} 个服务中心", "Import all {n} centres"),
    "data.imp_valid": ("导入全部有效行（{n} 行）", "Import only the valid rows ({n})"),
    "data.imp_left_out": ("{m} 行有问题，将不会导入（第 {rows} 行）。", "{m} row(s) with problems will be left out (rows {rows})."),
    "data.imp_fix": ("或者：按上表修改文件后重新上传，全部导入。", "Or fix the file as listed above and upload it again to import every row."),
    "data.imp_none_valid": ("没有可导入的有效行，请按上表修改文件后重新上传。",
                            "No valid row to import; fix the file as listed above and upload it again."),
    "data.imp_done": ("已导入 {n} 个服务中心（版本 {v}）{skipped}。", "Imported {n} centres (version {v}){skipped}."),
    "data.imp_skipped": ("，{m} 行有问题未导入", "; {m} row(s) with problems left out"),
    "data.imp_desc": ("导入服务中心 {file}：{n} 个{skipped}", "imported centres from {file}: {n}{skipped}"),
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
    "data.mv_hint": ("选择服务中心后，在左侧地图上点击新位置。", "Choose a centre, then click its new position on the map."),
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
    "data.sb_illustrative": ("示意布局（非实测）", "illustrative layout (not surveyed)"), "data.sb_real": ("真实数据", "real data"),
    "data.sb_saved": ("（含我的修改）", " (with your changes)"),
    "data.sb_hint": ("导入、编辑、版本与导出请到“数据管理”页。", " Import, edit, versions and export: open the “Data” screen."),
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
    "plan.suggest": ("新增服务站选址建议", "Where should new stations go"),
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
    "col_gap_ha": ("面积（公顷）", "Area (ha)"), "col_gap_comms": ("涉及村（社区）", "Communities touched"),
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
    "bad_coord_number": ("{what}“{value}”不是数字；请填写十进制度数，例如经度 116.7300、纬度 23.3700。",
                         ("{what} “{value}” is not a number; write decimal degrees such as longitude 116.7300 "
                          "and latitude 23.3700.")),
    "bad_lon_range": ("经度必须在 -180 到 180 之间（现在是 {value}）。",
                      "Longitude must be between -180 and 180 (it is {value})."),
    "bad_lat_range": ("纬度必须在 -90 到 90 之间（现在是 {value}）。",
                      "Latitude must be between -90 and 90 (it is {value})."),
    "bad_swapped": ("经度和纬度似乎填反了（经度 {lon}，纬度 {lat}）：龙湖区约在经度 116.7、纬度 23.4，请交换两个值。",
                    ("Longitude and latitude look swapped (longitude {lon}, latitude {lat}): Longhu is near "
                     "longitude 116.7, latitude 23.4; swap the two values.")),
    "coord_hint": ("十进制度数，例如 116.7300", "decimal degrees, e.g. 116.7300"),
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
    "lc.kinds": ("附近的各类生活服务设施", "The nearest of each kind"),
    "lc.kinds_note": ("按直线距离估算；设施来自数据管理人员导入的文件。",
                      "Straight-line estimate; facilities as imported by the data steward."),
}


def tr(key: str, lang: str = "zh", **fmt: object) -> str:
    """The text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


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
