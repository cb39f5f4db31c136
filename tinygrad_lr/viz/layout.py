"""A small layered graph layout that needs no system package, written as SVG or PNG.

Enough for graphs of a few hundred nodes (Sugiyama's method, simplified):
1. layers: longest path from the inputs; an input sits just before its first consumer;
2. an edge longer than one layer gets a chain of invisible points, one per layer;
3. order within a layer: a few sweeps of the barycentre heuristic (each node moves to the
   mean position of its neighbours in the layer before or after), which removes most
   crossings;
4. positions: each node is pulled towards its neighbours, keeping the layer's order and
   spacing.
The drawing is the same for SVG (in a notebook: no graphviz needed) and PNG (matplotlib).
"""
import html
import itertools
from dataclasses import dataclass, field

__all__ = ["Box", "Edge", "layout", "measure", "to_svg", "to_png", "STYLE", "DIRECTIONS"]

CHAR_W, LINE_H, FONT = 7.2, 15.0, 12   # monospace at 12 px: 0.6 em per character
PAD_X, PAD_Y = 9.0, 6.0
LAYER_GAP, NODE_GAP, DUMMY_GAP, MARGIN = 46.0, 16.0, 8.0, 12.0
DIRECTIONS = ("LR", "RL", "TB", "BT")

STYLE = {  # kind -> (fill, stroke, dashed)
    "leaf": ("#dbeafe", "#1d4ed8", False),
    "const": ("#f3f4f6", "#6b7280", True),
    "value": ("#ffffff", "#374151", False),
    "root": ("#dcfce7", "#15803d", False),
    "op": ("#fef9c3", "#a16207", False),
}


@dataclass
class Box:
    id: str
    kind: str                  # a STYLE key; "op" is drawn as an ellipse
    lines: list[str]
    bold_first: bool = False
    w: float = 0.0
    h: float = 0.0
    x: float = 0.0             # centre
    y: float = 0.0


@dataclass
class Edge:
    src: str
    dst: str
    label: str | None = None
    points: list = field(default_factory=list)  # from src border to dst border


def measure(box):
    width = max((len(s) for s in box.lines), default=1) * CHAR_W + 2 * PAD_X
    height = len(box.lines) * LINE_H + 2 * PAD_Y
    if box.kind == "op":  # an ellipse needs room around its text
        width, height = width * 1.25 + 6, max(height * 1.3, 30.0)
    box.w, box.h = width, height


def layout(boxes, edges, direction="LR"):
    """Positions for every box and a polyline for every edge (in place); returns the
    drawing's (width, height)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    for b in boxes:
        measure(b)
    index = {b.id: k for k, b in enumerate(boxes)}
    n = len(boxes)
    succ, pred = [[] for _ in range(n)], [[] for _ in range(n)]
    for e in edges:
        s, d = index[e.src], index[e.dst]
        succ[s].append(d)
        pred[d].append(s)
    layer = _layers(n, succ, pred)

    # chains of points for long edges: every edge then joins two adjacent layers
    nodes = list(range(n))                  # real nodes, then dummies
    node_layer = list(layer)
    up, down = [list(p) for p in pred], [list(s) for s in succ]
    chains = []
    for e in edges:
        s, d = index[e.src], index[e.dst]
        chain = [s]
        for k in range(layer[s] + 1, layer[d]):
            dummy = len(nodes)
            nodes.append(dummy)
            node_layer.append(k)
            up.append([chain[-1]])
            down.append([])
            down[chain[-1]].append(dummy)
            chain.append(dummy)
        if len(chain) > 1:  # rewire s -> d through the dummies
            down[s].remove(d)
            up[d].remove(s)
            down[chain[-1]].append(d)
            up[d].append(chain[-1])
        chains.append(chain + [d])

    n_layers = max(node_layer, default=0) + 1
    rows = [[] for _ in range(n_layers)]
    for v in nodes:
        rows[node_layer[v]].append(v)
    pos = {}
    for row in rows:
        for k, v in enumerate(row):
            pos[v] = float(k)
    for sweep in range(8):  # barycentre ordering, alternately from each side
        order = range(1, n_layers) if sweep % 2 == 0 else range(n_layers - 2, -1, -1)
        for k in order:
            side = up if sweep % 2 == 0 else down
            row = rows[k]
            bary = {v: (sum(pos[u] for u in side[v]) / len(side[v]) if side[v] else pos[v])
                    for v in row}
            row.sort(key=lambda v: bary[v])
            for j, v in enumerate(row):
                pos[v] = float(j)

    horizontal = direction in ("LR", "RL")   # layers run along x

    def extent(v):   # size across the layer axis
        if v >= n:
            return 0.0
        return boxes[v].h if horizontal else boxes[v].w

    def depth(v):    # size along the layer axis
        if v >= n:
            return 0.0
        return boxes[v].w if horizontal else boxes[v].h

    def gap(a, b):
        g = NODE_GAP if a < n and b < n else DUMMY_GAP
        return (extent(a) + extent(b)) / 2 + g

    coord = {}
    for row in rows:
        c = 0.0
        for j, v in enumerate(row):
            c = 0.0 if j == 0 else c + gap(row[j - 1], v)
            coord[v] = c
        shift = coord[row[-1]] / 2 if row else 0.0
        for v in row:
            coord[v] -= shift
    for _ in range(10):  # pull each node towards its neighbours, keeping order and spacing
        for row in rows:
            want = [sum(coord[u] for u in up[v] + down[v]) / len(up[v] + down[v])
                    if up[v] + down[v] else coord[v] for v in row]
            fwd, back = list(want), list(want)
            for j in range(1, len(row)):
                fwd[j] = max(want[j], fwd[j - 1] + gap(row[j - 1], row[j]))
            for j in range(len(row) - 2, -1, -1):
                back[j] = min(want[j], back[j + 1] - gap(row[j], row[j + 1]))
            for j, v in enumerate(row):
                coord[v] = (fwd[j] + back[j]) / 2

    # along the layer axis: each layer as deep as its deepest node
    layer_depth = [max((depth(v) for v in row), default=0.0) for row in rows]
    start, along = 0.0, []
    for d in layer_depth:
        along.append(start + d / 2)
        start += d + LAYER_GAP
    lo = min(coord[v] - extent(v) / 2 for v in nodes) if nodes else 0.0
    hi = max(coord[v] + extent(v) / 2 for v in nodes) if nodes else 0.0
    total_along = start - LAYER_GAP

    def place(v):
        a, c = along[node_layer[v]], coord[v] - lo
        if direction == "RL" or direction == "BT":
            a = total_along - a
        x, y = (a, c) if horizontal else (c, a)
        return x + MARGIN, y + MARGIN

    for v in range(n):
        boxes[v].x, boxes[v].y = place(v)
    for e, chain in zip(edges, chains):
        pts = [place(v) for v in chain]
        pts[0] = _border(boxes[chain[0]], direction, leaving=True)
        pts[-1] = _border(boxes[chain[-1]], direction, leaving=False)
        e.points = pts
    width, height = (total_along, hi - lo) if horizontal else (hi - lo, total_along)
    return width + 2 * MARGIN, height + 2 * MARGIN


def _layers(n, succ, pred):
    """Longest path from the sources; then each source moves up to just before its first
    consumer (a constant sits next to the op that uses it)."""
    indeg = [len(p) for p in pred]
    order = [v for v in range(n) if indeg[v] == 0]
    for v in order:
        for s in succ[v]:
            indeg[s] -= 1
            if indeg[s] == 0:
                order.append(s)
    if len(order) != n:
        raise ValueError("layout: the graph has a cycle")
    layer = [0] * n
    for v in order:
        for s in succ[v]:
            layer[s] = max(layer[s], layer[v] + 1)
    for v in range(n):
        if not pred[v] and succ[v]:
            layer[v] = min(layer[s] for s in succ[v]) - 1
    return layer


def _border(box, direction, leaving):
    """Where an edge leaves (or enters) a box: the side facing the next layer."""
    sign = 1 if leaving else -1
    if direction == "LR":
        return box.x + sign * box.w / 2, box.y
    if direction == "RL":
        return box.x - sign * box.w / 2, box.y
    if direction == "TB":
        return box.x, box.y + sign * box.h / 2
    return box.x, box.y - sign * box.h / 2


def _segments(points, direction):
    """Cubic Bezier pieces (p0, c1, c2, p1) through the points, leaving and entering each
    along the layer axis, as graphviz's splines do."""
    horizontal = direction in ("LR", "RL")
    out = []
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if horizontal:
            mx = (x0 + x1) / 2
            out.append(((x0, y0), (mx, y0), (mx, y1), (x1, y1)))
        else:
            my = (y0 + y1) / 2
            out.append(((x0, y0), (x0, my), (x1, my), (x1, y1)))
    return out


def _arrow(seg, size=7.0):
    """The triangle of an arrowhead at the end of a segment."""
    (_, _), _, (cx, cy), (x, y) = seg
    dx, dy = x - cx, y - cy
    norm = (dx * dx + dy * dy) ** 0.5 or 1.0
    dx, dy = dx / norm, dy / norm
    bx, by = x - dx * size, y - dy * size
    return [(x, y), (bx - dy * size * 0.45, by + dx * size * 0.45),
            (bx + dy * size * 0.45, by - dx * size * 0.45)]


# ------------------------------------------------------------------ SVG
def to_svg(boxes, edges, size, direction, title=None):
    w, h = size
    esc = html.escape
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
            f'viewBox="0 0 {w:.1f} {h:.1f}" font-family="monospace" font-size="{FONT}">')]
    if title:
        out.append(f"<title>{esc(title)}</title>")
    out.append(f'<rect width="{w:.1f}" height="{h:.1f}" fill="#ffffff"/>')
    for e in edges:
        segs = _segments(e.points, direction)
        if not segs:
            continue
        d = f"M {segs[0][0][0]:.1f} {segs[0][0][1]:.1f} " + " ".join(
            f"C {c1[0]:.1f} {c1[1]:.1f} {c2[0]:.1f} {c2[1]:.1f} {p1[0]:.1f} {p1[1]:.1f}"
            for _, c1, c2, p1 in segs)
        out.append(f'<path d="{d}" fill="none" stroke="#4b5563" stroke-width="1.2"/>')
        tri = " ".join(f"{x:.1f},{y:.1f}" for x, y in _arrow(segs[-1]))
        out.append(f'<polygon points="{tri}" fill="#4b5563"/>')
        if e.label:
            (x0, y0), _, _, (x1, y1) = segs[-1]
            out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{(y0 + y1) / 2 - 3:.1f}" '
                       f'font-size="10" fill="#6b7280" text-anchor="middle">'
                       f'{esc(e.label)}</text>')
    for b in boxes:
        fill, stroke, dashed = STYLE[b.kind]
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        width = 2.0 if b.kind == "root" else 1.2
        out.append(f'<g class="node {b.kind}" id="{esc(b.id)}">')
        if b.kind == "op":
            out.append(f'<ellipse cx="{b.x:.1f}" cy="{b.y:.1f}" rx="{b.w / 2:.1f}" '
                       f'ry="{b.h / 2:.1f}" fill="{fill}" stroke="{stroke}" '
                       f'stroke-width="{width}"{dash}/>')
        else:
            out.append(f'<rect x="{b.x - b.w / 2:.1f}" y="{b.y - b.h / 2:.1f}" '
                       f'width="{b.w:.1f}" height="{b.h:.1f}" rx="4" fill="{fill}" '
                       f'stroke="{stroke}" stroke-width="{width}"{dash}/>')
        top = b.y - (len(b.lines) - 1) * LINE_H / 2
        for k, line in enumerate(b.lines):
            weight = ' font-weight="bold"' if k == 0 and b.bold_first else ""
            out.append(f'<text x="{b.x:.1f}" y="{top + k * LINE_H:.1f}" text-anchor="middle" '
                       f'dominant-baseline="central"{weight}>{esc(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


# ------------------------------------------------------------------ PNG (matplotlib)
def to_png(boxes, edges, size, direction, path, dpi=144):
    try:
        from matplotlib.figure import Figure  # no pyplot: no window, no backend switch
        from matplotlib.patches import Ellipse, FancyBboxPatch, PathPatch, Polygon
        from matplotlib.path import Path
    except ImportError:
        raise RuntimeError("saving a graph as PNG needs the graphviz program 'dot' or "
                           "matplotlib (pip install matplotlib); .svg works without "
                           "either") from None
    w, h = size
    px = 1 / 72  # one SVG pixel drawn as one point
    fig = Figure(figsize=(w * px, h * px))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.axis("off")
    for e in edges:
        segs = _segments(e.points, direction)
        if not segs:
            continue
        verts, codes = [segs[0][0]], [Path.MOVETO]
        for _, c1, c2, p1 in segs:
            verts += [c1, c2, p1]
            codes += [Path.CURVE4] * 3
        ax.add_patch(PathPatch(Path(verts, codes), fill=False, edgecolor="#4b5563", lw=1.2))
        ax.add_patch(Polygon(_arrow(segs[-1]), closed=True, color="#4b5563"))
        if e.label:
            (x0, y0), _, _, (x1, y1) = segs[-1]
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 - 3, e.label, fontsize=10, color="#6b7280",
                    ha="center", va="bottom", family="monospace")
    for b in boxes:
        fill, stroke, dashed = STYLE[b.kind]
        style = {"facecolor": fill, "edgecolor": stroke,
                 "lw": 2.0 if b.kind == "root" else 1.2, "ls": "--" if dashed else "-"}
        if b.kind == "op":
            ax.add_patch(Ellipse((b.x, b.y), b.w, b.h, **style))
        else:
            ax.add_patch(FancyBboxPatch((b.x - b.w / 2, b.y - b.h / 2), b.w, b.h,
                                        boxstyle="round,pad=0,rounding_size=4", **style))
        top = b.y - (len(b.lines) - 1) * LINE_H / 2
        for k, line in enumerate(b.lines):
            ax.text(b.x, top + k * LINE_H, line, fontsize=FONT, ha="center", va="center",
                    family="monospace",
                    weight="bold" if k == 0 and b.bold_first else "normal")
    fig.savefig(path, dpi=dpi)
    return path
