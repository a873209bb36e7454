"""The agency network as a Graphviz drawing: link status and the message load each link carried.

Agency names come from scenario files, which designers upload: every label goes through
``graphviz.nohtml`` so a name such as ``<b>Fire</b>`` is drawn as text, never read as an HTML label.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Mapping

import graphviz

from exercises.scenario.model import AgencyKind, Channel, PlayedBy, Scenario

LinkKey = frozenset[str]

_KIND_FILL: dict[AgencyKind, str] = {
    AgencyKind.LAW_ENFORCEMENT: "#dbe7f7",
    AgencyKind.FIRE: "#fbdcd6",
    AgencyKind.EMS: "#fde9cf",
    AgencyKind.HOSPITAL: "#fde9cf",
    AgencyKind.PUBLIC_HEALTH: "#fde9cf",
    AgencyKind.EMERGENCY_MANAGEMENT: "#e3f1dc",
    AgencyKind.PUBLIC_INFORMATION: "#efe3f5",
    AgencyKind.FEDERAL_PARTNER: "#dbe7f7",
    AgencyKind.DISPATCH: "#e8e8e8",
}
_CHANNEL_STYLE: dict[Channel, str] = {
    Channel.RADIO: "solid",
    Channel.PHONE: "solid",
    Channel.LIAISON: "bold",
    Channel.DATA_SHARING: "solid",
}
NAME_WRAP = 20
"""Characters per line of an agency's name in its box."""
LINK_UP_COLOUR = "#4a6b8a"
LINK_DOWN_COLOUR = "#c62828"


def link_key(a: str, b: str) -> LinkKey:
    return frozenset((a, b))


def network_graph(
    scenario: Scenario,
    *,
    links_down: Collection[LinkKey] = (),
    load: Mapping[LinkKey, int] | None = None,
    highlight: str | None = None,
) -> graphviz.Graph:
    """One node per agency (double border: played by people; fill: kind of agency), one edge per link.

    A link that is down is drawn dashed and red with "DOWN"; an up link's width grows with the number
    of messages it carried, and its label says how many. Hovering shows kinds and channels.
    """
    load = load or {}
    down = {frozenset(k) for k in links_down}
    busiest = max(load.values(), default=0)
    graph = graphviz.Graph(
        "network",
        # neato (spring model) suits a network with a hub better than dot's ranks, which stretch
        # every agency into one long row.
        # Measured: at the page's width (880 px at 1440) names draw at about 17 px and the picture
        # is about 640 px tall for the 11 agencies of the civil-disturbance scenario.
        graph_attr={"layout": "neato", "overlap": "false", "splines": "true", "sep": "+2", "bgcolor": "transparent",
                    "pad": "0.2", "fontname": "Helvetica"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "fontsize": "20",
                   "margin": "0.12,0.04",
                   "color": "#55606e"},
        edge_attr={"fontname": "Helvetica", "fontsize": "18", "fontcolor": "#37474f", "len": "1.0"},
    )
    for agency in scenario.agencies:
        label = "\n".join(textwrap.wrap(agency.name, NAME_WRAP)) or agency.id
        attrs = {
            "tooltip": graphviz.nohtml(f"{agency.name} ({agency.kind.value.replace('_', ' ')})"),
            "fillcolor": _KIND_FILL.get(agency.kind, "#f4f4f4"),
            "peripheries": "2" if agency.played_by is PlayedBy.PLAYERS else "1",
        }
        if agency.id == highlight:
            attrs["color"] = "#b3261e"
            attrs["penwidth"] = "2.5"
        graph.node(agency.id, label=graphviz.nohtml(label), **attrs)
    for link in scenario.links:
        a, b = link.between
        carried = load.get(link.key, 0)
        channel = link.channel.value.replace("_", " ")
        if link.key in down:
            graph.edge(a, b, label="DOWN", color=LINK_DOWN_COLOUR, fontcolor=LINK_DOWN_COLOUR, style="dashed",
                       penwidth="2.5", tooltip=f"{channel} link down")
            continue
        width = 1.0 + (4.0 * carried / busiest if busiest else 0.0)
        # Only traffic is labelled: channel names on every edge would crowd a live picture.
        graph.edge(a, b, label=str(carried) if carried else "", color=LINK_UP_COLOUR,
                   style=_CHANNEL_STYLE[link.channel], penwidth=f"{width:.1f}",
                   tooltip=f"{channel}, {carried} message(s)")
    return graph
