"""Escaping for user text shown in HTML: folium popups and tooltips, tables, reports.

Names and other text from a user's file are data, never markup. Everything here turns a
value into text that a browser shows literally, in the two places folium puts it:

- HTML parsed with ``innerHTML`` (GeoJSON tooltips and popups read feature properties at
  run time and paste them into a ``<table>``);
- HTML inside a JavaScript template literal (``folium.Tooltip`` and ``folium.Popup`` embed
  their text between backticks), where `` ` ``, ``${`` and ``\\`` would otherwise end the
  literal or run code even after ordinary HTML escaping.

:func:`escape_text` therefore escapes ``& < > " '`` (as :func:`html.escape` does) and also
`` ` ``, ``$`` and ``\\`` as numeric character references, which browsers display as the
original characters. Escape at the last step, just before the text goes into HTML: text
shown by non-HTML widgets (``st.dataframe``, exports) must stay unescaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import folium
import pandas as pd

_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def escape_text(value: object) -> str:
    """The value as HTML text that displays literally (``None``/NaN become ``""``)."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # arrays and other non-scalars
        pass
    return html.escape(str(value), quote=True).translate(_EXTRA)


def escape_columns(df: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of a (Geo)DataFrame whose text columns are escaped for HTML.

    Use it on the frame given to ``folium.GeoJson`` with a ``GeoJsonTooltip`` or
    ``GeoJsonPopup``. ``columns`` defaults to every string/object column (never the
    geometry); numbers are left as numbers so styling functions keep working.
    """
    out = df.copy()
    geom = getattr(df, "_geometry_column_name", None)
    if columns is None:
        columns = [c for c in df.columns
                   if c != geom and (pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object)]
    for c in columns:
        if c == geom:
            continue
        out[c] = df[c].map(escape_text).astype(object)
    return out


def tooltip(text: object, **kwargs) -> folium.Tooltip:
    """A ``folium.Tooltip`` showing ``text`` literally."""
    return folium.Tooltip(escape_text(text), **kwargs)


def popup(text: object, max_width: int | str = 300, **kwargs) -> folium.Popup:
    """A ``folium.Popup`` showing ``text`` literally (line breaks kept)."""
    body = escape_text(text).replace("\n", "<br>")
    return folium.Popup(body, max_width=max_width, **kwargs)


def html_table(df: pd.DataFrame, **kwargs) -> str:
    """An HTML ``<table>`` of a DataFrame with every cell and header escaped (for reports)."""
    show = df.drop(columns=[getattr(df, "_geometry_column_name", None)], errors="ignore")
    show = pd.DataFrame(show).copy()
    show.columns = [escape_text(c) for c in show.columns]
    for c in show.columns:
        show[c] = show[c].map(escape_text).astype(object)
    kwargs.setdefault("index", False)
    return show.to_html(escape=False, **kwargs)
