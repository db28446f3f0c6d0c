"""Charts drawn on the server as SVG (matplotlib), readable without
JavaScript and labelled in the reader's language.

Text stays text in the SVG (``svg.fonttype = none``): the browser draws it
with its own fonts, so Chinese labels need no font on the server; matplotlib
only measures them, and its warnings about glyphs it cannot measure are
expected there.
"""

from __future__ import annotations

import functools
import io
import threading
import warnings

from markupsafe import Markup

_LOCK = threading.Lock()  # the style is set through matplotlib's global rcParams
FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Microsoft YaHei",
    "PingFang SC",
    "DejaVu Sans",
    "sans-serif",
]
COLOURS = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#d62728"]


def _matplotlib():
    """matplotlib, imported when a chart is first drawn: importing it costs ~0.4 s of CPU
    at every start of the portal and of every CLI command."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    return matplotlib, Figure, MaxNLocator


def _svg(figure, title: str) -> Markup:
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        warnings.filterwarnings("ignore", message=r"findfont")
        figure.savefig(out, format="svg", bbox_inches="tight")
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]
    # An accessible name for the picture.
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)
    # matplotlib escapes the text it writes into the SVG; the title is escaped above.
    return Markup(svg)  # noqa: S704


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _style():
    return {
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.sans-serif": FONTS,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


# Drawing a chart costs ~50 ms of CPU under one global lock, and the home
# page of every controller draws one: under load that time was taken from
# every other request (the GIL). A chart is a pure function of its
# arguments, so the same figures are drawn once.
CACHED_CHARTS = 256


def rates(
    title: str,
    labels: list[str],
    series: dict[str, list[float | None]],
    target: float | None = None,
    target_label: str = "",
) -> Markup:
    """Rates (0..1) per period as lines, with the target as a dashed line;
    a period with no data leaves a gap."""
    return _rates(
        str(title),
        tuple(map(str, labels)),
        tuple((str(name), tuple(values)) for name, values in series.items()),
        target,
        str(target_label),
    )


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _rates(
    title: str,
    labels: tuple[str, ...],
    series: tuple[tuple[str, tuple[float | None, ...]], ...],
    target: float | None,
    target_label: str,
) -> Markup:
    matplotlib, Figure, _locator = _matplotlib()
    with _LOCK, matplotlib.rc_context(_style()):
        figure = Figure(figsize=(6.4, 2.8))
        axes = figure.subplots()
        positions = list(range(len(labels)))
        for colour, (name, values) in zip(COLOURS, series, strict=False):
            points = [v * 100 if v is not None else float("nan") for v in values]
            axes.plot(positions, points, marker="o", color=colour, label=name)
            if len(positions) <= 3:
                # A line of one or two periods is a dot or two: say their values.
                for x, y in zip(positions, points, strict=True):
                    if y == y:  # not NaN
                        axes.annotate(
                            f"{y:.0f}%",
                            (x, y),
                            textcoords="offset points",
                            xytext=(6, 4),
                            fontsize=8,
                            color=colour,
                        )
        if target is not None:
            axes.axhline(
                target * 100, color="#888888", linestyle="--", linewidth=1, label=target_label
            )
        axes.set_xticks(positions, labels, rotation=45 if len(labels) > 6 else 0)
        axes.set_ylim(0, 105)
        axes.set_ylabel("%")
        axes.set_title(title)
        axes.legend(loc="lower left", fontsize=8, frameon=False)
        return _svg(figure, title)


def bars(title: str, labels: list[str], values: list[float]) -> Markup:
    """Counts as horizontal bars, each labelled with its number."""
    return _bars(str(title), tuple(map(str, labels)), tuple(values))


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _bars(title: str, labels: tuple[str, ...], values: tuple[float, ...]) -> Markup:
    matplotlib, Figure, MaxNLocator = _matplotlib()
    with _LOCK, matplotlib.rc_context(_style()):
        height = max(1.6, 0.35 * len(labels) + 0.8)
        figure = Figure(figsize=(6.4, height))
        axes = figure.subplots()
        positions = list(range(len(labels)))
        axes.barh(positions, values, color=COLOURS[0])
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
        for position, value in zip(positions, values, strict=True):
            axes.text(value, position, f" {value:g}", va="center")
        axes.set_title(title)
        axes.set_xlim(0, max(values or [0]) * 1.15 + 1)
        # Counts are whole: no tick at 0.25 of a complaint.
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(figure, title)
