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
    node = node_names(scenario)
    graph = graphviz.Graph(
        # The drawing's hidden titles (read by some screen readers) are its name and its nodes':
        # people's words, never ids.
        "Agency network",
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
        graph.node(graphviz.nohtml(node[agency.id]), label=graphviz.nohtml(label), **attrs)
    for link in scenario.links:
        a, b = (graphviz.nohtml(node[x]) for x in link.between)
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


def node_names(scenario: Scenario) -> dict[str, str]:
    """Each agency's node in the drawing, named by the agency's name (a second agency of the same
    name gets a number: two nodes must not merge)."""
    named: dict[str, str] = {}
    taken: set[str] = set()
    for agency in scenario.agencies:
        name, n = agency.name or agency.id, 1
        while name in taken:
            n += 1
            name = f"{agency.name} ({n})"
        taken.add(name)
        named[agency.id] = name
    return named


def network_rows(
    scenario: Scenario, *, links_down: Collection[LinkKey] = (), load: Mapping[LinkKey, int] | None = None,
) -> list[dict[str, str | int]]:
    """The drawing as a table, for whoever cannot see it: each link by its agencies' names, its
    channel, the messages it carried and whether it is down; links down first, then the busiest."""
    names = {a.id: a.name for a in scenario.agencies}
    down = {frozenset(k) for k in links_down}
    load = load or {}
    rows = [{"Link": " - ".join(sorted(names.get(x, x) for x in link.between)),
             "Channel": link.channel.value.replace("_", " "),
             "Messages carried": load.get(link.key, 0),
             "Status": "DOWN" if link.key in down else "up"} for link in scenario.links]
    return sorted(rows, key=lambda r: (r["Status"] != "DOWN", -int(r["Messages carried"]), str(r["Link"])))
