"""A static flamegraph SVG of collapsed stacks: root at the bottom, frames coloured by area.

Hovering a frame (open the SVG itself, not through an <img>) shows its function, file and share.
"""

from collections import Counter
from html import escape
from pathlib import Path

from loadtest.profile import AREAS, OTHER, area_of, parse_frame

WIDTH, ROW, CHAR = 1200, 16, 6.5  # pixels; CHAR is the width of one character at font-size 11
PALETTE = [
    "#e15759", "#f28e2b", "#edc948", "#b07aa1", "#4e79a7", "#76b7b2",
    "#59a14f", "#9c755f", "#ff9da7", "#a0cbe8", "#8cd17d", "#bab0ac", "#d4a6c8",
]  # fmt: skip
COLOURS = dict(zip([*AREAS, OTHER], PALETTE, strict=True))


def _tree(stacks: Counter) -> dict:
    root = {"count": 0, "children": {}}
    for frames, count in stacks.items():
        node = root
        node["count"] += count
        for frame in frames:
            node = node["children"].setdefault(frame, {"count": 0, "children": {}})
            node["count"] += count
    return root


def write_svg(stacks: Counter, path: Path, title: str) -> Path:
    root = _tree(stacks)
    total = root["count"] or 1
    height = (max((len(frames) for frames in stacks), default=0) + 3) * ROW
    parts = [
        f'<text x="4" y="{ROW - 4}" font-size="13">{escape(title)} ({total} samples)</text>',
        *(
            f'<rect x="{4 + i * 92}" y="{ROW + 2}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{17 + i * 92}" y="{2 * ROW - 4}" font-size="8">{escape(area[:16])}</text>'
            for i, (area, colour) in enumerate(COLOURS.items())
        ),
    ]

    def draw(children: dict, x: float, level: int) -> None:
        for frame, node in sorted(children.items()):
            width = node["count"] / total * WIDTH
            if width >= 0.5:
                function, file = parse_frame(frame)
                y = height - (level + 1) * ROW
                tip = f"{function} ({file}): {node['count']} samples, {node['count'] / total:.1%}"
                label = function[: int((width - 4) / CHAR)]
                parts.append(
                    f'<g><title>{escape(tip)}</title><rect x="{x:.1f}" y="{y}" width="{width:.1f}" '
                    f'height="{ROW - 1}" fill="{COLOURS[area_of(file) or OTHER]}" rx="2"/>'
                    + (f'<text x="{x + 2:.1f}" y="{y + ROW - 5}">{escape(label)}</text>' if label else "")
                    + "</g>"
                )
                draw(node["children"], x, level + 1)
            x += width

    draw(root["children"], 0.0, 0)
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="monospace" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n'
        + "\n".join(parts)
        + "\n</svg>\n"
    )
    return path
