"""Reading walking networks: absurd files are refused with one line naming the file."""

from __future__ import annotations

import networkx as nx
import pytest

from geo import cli
from geo.engine.graph import NetworkError
from geo.io import networks

STREET = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
 <node id="1" lat="23.3700" lon="116.7000" version="1"/>
 <node id="2" lat="23.3700" lon="116.7010" version="1"/>
 <way id="100" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
</osm>"""


def _refused(path, *needles: str) -> str:
    with pytest.raises(NetworkError) as info:
        networks.load_network(path)
    text = str(info.value)
    assert "\n" not in text and path.name in text
    for needle in needles:
        assert needle in text, text
    return text


def test_the_size_limit_is_two_gigabytes():
    assert networks.MAX_BYTES == 2 * 1024**3


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "street.osm"
    path.write_text(STREET, encoding="utf-8")
    assert networks.load_network(path).n_edges == 1  # a good file under the limit is read
    monkeypatch.setattr(networks, "MAX_BYTES", path.stat().st_size - 1)
    _refused(path, "limit", "extract")


def test_an_empty_file_is_refused(tmp_path):
    for name in ("empty.graphml", "empty.osm", "empty.osm.pbf"):
        (tmp_path / name).write_bytes(b"")
        _refused(tmp_path / name, "empty file")


def test_a_folder_is_refused(tmp_path):
    folder = tmp_path / "walk.graphml"
    folder.mkdir()
    _refused(folder, "folder")


@pytest.mark.parametrize("name,content", [
    ("page.graphml", '<?xml version="1.0"?><html><body>not a graph</body></html>'),
    ("nograph.graphml", '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"></graphml>'),
    ("roads.geojson", '{"type": "FeatureCollection", "features": []}'),
    ("notes.osm", "plain text"),
    ("binary.osm.pbf", "\x00\x01\x02 not protocol buffers"),
])
def test_a_file_that_is_not_a_graph_is_refused(tmp_path, name, content):
    (tmp_path / name).write_text(content, encoding="utf-8")
    _refused(tmp_path / name, "GraphML")


def test_an_empty_graph_and_a_graph_without_coordinates_are_refused(tmp_path):
    ox = pytest.importorskip("osmnx")
    G = nx.MultiDiGraph(crs="epsg:4326")
    ox.save_graphml(G, tmp_path / "empty.graphml")
    _refused(tmp_path / "empty.graphml", "no nodes")
    G.add_node(1, x=116.70, y=23.37)
    G.add_node(2, x=116.71, y=23.37)
    ox.save_graphml(G, tmp_path / "noedges.graphml")
    _refused(tmp_path / "noedges.graphml", "no edges")


def test_the_command_line_says_it_in_one_line(capsys, tmp_path, monkeypatch):
    path = tmp_path / "street.osm"
    path.write_text(STREET, encoding="utf-8")
    monkeypatch.setattr(networks, "MAX_BYTES", 10)
    code = cli.main(["coverage", "--out", str(tmp_path / "out"), "--network", str(path)])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("error")]
    assert code == 2 and len(lines) == 1 and "street.osm" in lines[0] and "limit" in lines[0]
