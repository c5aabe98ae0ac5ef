"""Chart geometry for the outcomes page, drawn on the server as inline SVG.

Only numbers and coordinates are made here; templates/staff/_charts.html draws them with
CSS classes (never colours), so the charts take the page's colours, light or dark, and no
script runs. Every chart is also given as a table on the page (its text alternative).
Narrow on purpose (320 units): each group's name and figure sit on a line above its bar,
so the words stay readable when a phone scales the chart down.
"""
WIDTH = 320
ROW = 46             # one group: a line of words, then its bar
TEXT = 14            # baseline of the words within the row
BAR_TOP, BAR_HEIGHT = 20, 16
PAD = 4
LABEL_CHARS = 26


def short(label):
    """A label that fits its line; the table beside the chart has it whole."""
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _r(value):
    return round(value, 1)


def _height(rows):
    return 2 * PAD + ROW * max(len(rows), 1)


def stacked_bars(rows, parts):
    """Stacked bars: `rows` is [(label, {part: count})], `parts` the order of the
    segments. Bars share one scale, so lengths compare across groups."""
    top = max([sum(values[p] for p in parts) for _, values in rows] + [1])
    bars = []
    for i, (label, values) in enumerate(rows):
        y = PAD + i * ROW
        x, segments = 0.0, []
        for part in parts:
            width = WIDTH * values[part] / top
            if values[part]:
                segments.append({"part": part, "x": _r(x), "width": _r(width),
                                 "count": values[part]})
            x += width
        bars.append({"label": short(label), "text_y": y + TEXT, "bar_y": y + BAR_TOP,
                     "segments": segments, "total": sum(values[p] for p in parts)})
    return {"width": WIDTH, "height": _height(rows), "bars": bars, "bar_height": BAR_HEIGHT}


def durations(rows):
    """Median bars with a 90th-percentile whisker: `rows` is [(label, {"median", "p90",
    "count"})]; groups without a duration get no bar."""
    top = max([d["p90"] or 0 for _, d in rows] + [1])
    bars = []
    for i, (label, d) in enumerate(rows):
        y = PAD + i * ROW
        bar = {"label": short(label), "text_y": y + TEXT, "bar_y": y + BAR_TOP,
               "mid": y + BAR_TOP + BAR_HEIGHT / 2, "median": d["median"], "p90": d["p90"],
               "count": d["count"]}
        if d["median"] is not None:
            bar.update(width=_r(WIDTH * d["median"] / top),
                       p90_x=_r(min(WIDTH * d["p90"] / top, WIDTH - 1)))
        bars.append(bar)
    return {"width": WIDTH, "height": _height(rows), "bars": bars, "bar_height": BAR_HEIGHT}


PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT = 44, 10, 268, 150


def share_line(points):
    """A line of shares (0–1) over time: `points` is [(when label, share or None)] in time
    order, evenly spaced (one per snapshot); gridlines at 0, 50 and 100 %."""
    step = PLOT_WIDTH / max(len(points) - 1, 1)
    dots = []
    for i, (when, share) in enumerate(points):
        if share is None:
            continue
        dots.append({"x": _r(PLOT_LEFT + i * step if len(points) > 1
                             else PLOT_LEFT + PLOT_WIDTH / 2),
                     "y": _r(PLOT_TOP + PLOT_HEIGHT * (1 - share)), "when": when,
                     "share": share})
    grid = [{"y": _r(PLOT_TOP + PLOT_HEIGHT * (1 - s)), "percent": int(s * 100)}
            for s in (0, 0.5, 1)]
    return {"width": WIDTH, "height": PLOT_TOP + PLOT_HEIGHT + 30, "dots": dots,
            "line": " ".join(f"{d['x']},{d['y']}" for d in dots), "grid": grid,
            "left": PLOT_LEFT, "right": PLOT_LEFT + PLOT_WIDTH,
            "bottom": PLOT_TOP + PLOT_HEIGHT,
            "first": points[0][0] if points else None, "last": points[-1][0] if points else None}
