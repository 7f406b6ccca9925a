"""The connected parts of a walking network: which are its main network, which are fragments.

Real street data (OpenStreetMap extracts, a district's own files) holds, besides the main
network, many small pieces joined to nothing: a footway across a courtyard, a path in a
park whose link to the street was never drawn, a stair. A point that snaps to one of them
reaches nothing, although a street of the main network may be a few metres farther.

The rule (docs/method.md, "Walking network"):

* A *part* is a connected component of the network (walking is undirected).
* A part is **main** when it is the longest one or holds at least :data:`FRAGMENT_M`
  metres of streets (an island's or a cut-off neighbourhood's own network is main); the
  others are **fragments**.
* Every part is kept in the graph; :func:`geo.engine.graph.snap_points` prefers the
  streets of main parts (and of parts holding a centre) within the access limit, so a
  fragment is used only by a point with nothing else within the limit.

The numbers of the one-line report on load are :class:`Parts`, and :meth:`Parts.msg` that line as
a message (``run.net_parts``), worded by the caller in its language.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo.locale import Msg

FRAGMENT_M = 1000.0
"""A part with less street than this (metres: one 15-minute walk at 4 km/h), other than the
longest part, is a fragment."""


@dataclass(frozen=True)
class Parts:
    """The connected parts of a network, in numbers (a caller words them).

    Attributes
    ----------
    count : int
        Connected parts (components).
    total_m : float
        Street length of the whole network (m).
    largest_m : float
        Street length of the longest part (m).
    main : int
        Parts that are main (the longest, and any with at least ``FRAGMENT_M`` of streets).
    fragments : int
        The other parts.
    fragment_m : float
        Street length of the fragments together (m).
    fragment_nodes : int
        Nodes on fragments.
    """

    count: int
    total_m: float
    largest_m: float
    main: int
    fragments: int
    fragment_m: float
    fragment_nodes: int

    @property
    def largest_share(self) -> float:
        """Share (0-1) of the street length in the longest part (1.0 for an empty length)."""
        return self.largest_m / self.total_m if self.total_m > 0 else 1.0

    def msg(self) -> Msg:
        """The one line on load, e.g. ``walking network: 62 connected parts, 82.9 km of streets,
        the largest 96.8 %; 61 fragments under 1,000 m (2.6 km) kept, used only by points with no
        other street within the access limit``."""
        head = Msg.of("run.net_parts", n=self.count, km=f"{self.total_m / 1000:,.1f}",
                      share=f"{100 * self.largest_share:.1f}")
        if not self.fragments:
            return head
        return Msg.of("run.net_fragments", head=head, n=self.fragments, under=f"{FRAGMENT_M:,.0f}",
                      km=f"{self.fragment_m / 1000:,.1f}")


def label(n: int, u: np.ndarray, v: np.ndarray, length: np.ndarray,
          main_nodes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Connected parts of a network: ``(part of each node, main flag of each part)``.

    Parts are numbered by scipy; a node without edges is a part of its own (no street).
    The longest part (ties: the lowest number) and every part with ``FRAGMENT_M`` or more of
    streets are main; with ``main_nodes`` (a boolean per node: on a main part of a larger
    network this one was cut from) so is every part holding one of them.
    """
    adj = sp.coo_matrix((np.ones(u.shape[0]), (u, v)), shape=(n, n)).tocsr()
    k, part = connected_components(adj, directed=False)
    street = np.bincount(part[u], weights=length, minlength=k)
    main = street >= FRAGMENT_M
    main[int(np.argmax(street))] = True
    if main_nodes is not None:
        main[np.unique(part[np.asarray(main_nodes, bool)])] = True
    return part.astype(np.int64), main


def summary(part: np.ndarray, main: np.ndarray, u: np.ndarray, length: np.ndarray) -> Parts:
    """The :class:`Parts` of a labelled network (only parts holding an edge are counted)."""
    k = main.shape[0]
    street = np.bincount(part[u], weights=length, minlength=k)
    has = np.bincount(part[u], minlength=k) > 0
    frag = has & ~main
    nodes = np.bincount(part, minlength=k)
    return Parts(count=int(has.sum()), total_m=float(street.sum()),
                 largest_m=float(street.max()) if k else 0.0, main=int((has & main).sum()),
                 fragments=int(frag.sum()), fragment_m=float(street[frag].sum()),
                 fragment_nodes=int(nodes[frag].sum()))
