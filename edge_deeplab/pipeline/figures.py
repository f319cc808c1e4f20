"""The report's plots, drawn with matplotlib (Agg): accuracy against latency, per-class IoU, and the loss
and validation curves of training followed by QAT.

Each figure function returns the matplotlib Figure, so tests can measure where its labels landed
(`overlapping_texts`, `texts_outside`); `png_base64` turns one into the report's embedded image.
"""

from __future__ import annotations

import base64
import io
import math

#: Label offsets tried around a point, in typographic points, nearest first: right, left, above, below,
#: then the diagonals, each at growing distances (a leader line is drawn from the farther ones).
_DISTANCES = (6, 14, 24, 36, 50, 66, 84, 104)
_DIRECTIONS = [
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
    (1, 1),
    (-1, 1),
    (1, -1),
    (-1, -1),
    (2, 1),
    (-2, 1),
    (2, -1),
    (-2, -1),
    (1, 2),
    (-1, 2),
    (1, -2),
    (-1, -2),
]
#: Points closer than this on the page (pixels) share one label: "fp32, fp16, dynamic".
_SAME_PLACE_PX = 7.0


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed), imported on first use."""
    import matplotlib

    matplotlib.use("Agg")  # no display here, and none needed
    import matplotlib.pyplot as plt

    return plt


def png_base64(figure, dpi: int = 110) -> str:
    """A figure as a base64 PNG for an <img> data URL; the figure is closed.

    Args:
        figure: a matplotlib figure.
        dpi: the PNG's resolution.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def accuracy_latency(points: list[dict], title: str = "accuracy against latency"):
    """points: [{"name", "ms", "miou" (0-1), "peer": bool}]. Points that coincide on the page share a label;
    every label is placed where it overlaps no other label and no point and stays inside the axes. Where the
    peers squeeze our exports into one spot, a second panel zooms on the exports."""
    plt = pyplot()
    ours = [p for p in points if not p["peer"]]
    zoom = len(ours) > 1 and len(ours) < len(points) and _squeezed(ours, points)
    figure, panels = plt.subplots(1, 2 if zoom else 1, figsize=(11 if zoom else 7, 4.5), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colour = {p["name"]: colours[i % len(colours)] for i, p in enumerate(points)}
    for axes, shown, heading in zip(panels[0], (points, ours), (title, "our exports, zoomed")):
        for point in shown:
            axes.scatter(
                point["ms"],
                point["miou"] * 100,
                s=36,
                zorder=3,
                color=colour[point["name"]],
                marker="s" if point["peer"] else "o",
                edgecolors="black",
                linewidths=0.5,
            )
        axes.set_xlabel("host CPU latency, ms (LiteRT, 2 threads, median)")
        axes.set_ylabel("mIoU %")
        axes.set_title(heading, fontsize=10)
        axes.grid(alpha=0.3)
        _pad_limits(axes, [p["ms"] for p in shown], [p["miou"] * 100 for p in shown])
        _place_labels(figure, axes, [(p["ms"], p["miou"] * 100, p["name"]) for p in shown])
    return figure


def _squeezed(ours: list[dict], points: list[dict]) -> bool:
    """Our exports span under a tenth of the whole plot in both directions."""

    def span(values):
        return max(values) - min(values)

    return span([p["ms"] for p in ours]) < 0.1 * span([p["ms"] for p in points]) and span(
        [p["miou"] for p in ours]
    ) < 0.1 * span([p["miou"] for p in points])


def _pad_limits(axes, xs, ys):
    """Limits with room around every point (none on the frame) and for the labels beside them; mIoU stays
    near 0-100 and latency near 0 and up."""

    def padded(values, floor, ceiling=None):
        low, high = min(values), max(values)
        span = max(high - low, abs(high) * 0.05, 1e-3)
        pad = 0.25 * span
        low = max(low - pad, floor) if low >= floor else low - pad
        high = min(high + pad, ceiling) if ceiling is not None and high <= ceiling else high + pad
        return low, high

    x_low, x_high = padded(xs, 0.0)
    y_low, y_high = padded(ys, -4.0, 104.0)
    if min(xs) - x_low < 0.04 * (x_high - x_low):  # a point on the left frame (latency near 0)
        x_low = min(xs) - 0.04 * (x_high - x_low)
    axes.set_xlim(x_low, x_high)
    axes.set_ylim(y_low, y_high)


def _place_labels(figure, axes, points: list[tuple]):
    """Greedy placement: each group of coinciding points gets the nearest free spot of _DIRECTIONS x
    _DISTANCES; a spot is free when its text box stays inside the axes and overlaps no label and no marker."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    to_pixels = axes.transData.transform
    groups = []  # [x, y, [names], (px, py)]
    for x, y, name in points:
        px, py = to_pixels((x, y))
        for group in groups:
            if math.hypot(group[3][0] - px, group[3][1] - py) < _SAME_PLACE_PX:
                group[2].append(name)
                break
        else:
            groups.append([x, y, [name], (px, py)])
    frame = axes.get_window_extent(renderer)
    marker = 5.0 * figure.dpi / 72.0
    taken = [(px - marker, py - marker, px + marker, py + marker) for _, _, _, (px, py) in groups]
    # The most crowded places first: they need the most room.
    order = sorted(groups, key=lambda g: -sum(math.hypot(g[3][0] - o[3][0], g[3][1] - o[3][1]) < 60 for o in groups))
    for x, y, names, _ in order:
        text = None
        for distance in _DISTANCES:
            for dx, dy in _DIRECTIONS:
                norm = math.hypot(dx, dy)
                offset = (distance * dx / norm, distance * dy / norm)
                candidate = axes.annotate(
                    ", ".join(names),
                    (x, y),
                    xytext=offset,
                    textcoords="offset points",
                    fontsize=8,
                    ha="left" if dx > 0 else "right" if dx < 0 else "center",
                    va="bottom" if dy > 0 else "top" if dy < 0 else "center",
                    arrowprops=dict(arrowstyle="-", color="0.5", lw=0.6, shrinkA=0, shrinkB=3)
                    if distance > _DISTANCES[0]
                    else None,
                )
                box = _text_box(candidate, renderer)
                corners = (box.x0 - 1, box.y0 - 1, box.x1 + 1, box.y1 + 1)
                inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
                if inside and not any(_overlap(corners, other) for other in taken):
                    text = candidate
                    taken.append(corners)
                    break
                candidate.remove()
            if text is not None:
                break
        if text is None:  # nowhere free: keep the nearest spot (overlapping_texts reports it)
            axes.annotate(", ".join(names), (x, y), xytext=(6, 0), textcoords="offset points", fontsize=8, va="center")


def _text_box(text, renderer):
    """The box of the words alone: an annotation's own extent also spans its leader line to the point."""
    from matplotlib.text import Annotation, Text

    if isinstance(text, Annotation):
        text.update_positions(renderer)  # where its offset puts it (its own extent would do this too)
    return Text.get_window_extent(text, renderer)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def overlapping_texts(figure) -> list[tuple[str, str]]:
    """Pairs of texts in the figure's axes whose boxes overlap on the page (empty when all are readable)."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    texts = [t for axes in figure.axes for t in axes.texts if t.get_visible() and t.get_text()]
    boxes = [_text_box(t, renderer) for t in texts]
    return [
        (texts[i].get_text(), texts[j].get_text())
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
        if _overlap(boxes[i].extents, boxes[j].extents)
    ]


def texts_outside(figure) -> list[str]:
    """Texts (labels in the axes) that reach beyond their axes' frame, i.e. are clipped or on the border."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    outside = []
    for axes in figure.axes:
        frame = axes.get_window_extent(renderer)
        for text in axes.texts:
            box = _text_box(text, renderer)
            if box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1:
                outside.append(text.get_text())
    return outside


def per_class_iou(rows: list[dict]):
    """rows: [{"name", "per_class_IoU": {class: 0-1 or None}}]. One row of bars per model, one colour per
    class; the legend sits below the axes, where it can hide nothing."""
    plt = pyplot()
    classes = sorted({c for r in rows for c in r["per_class_IoU"]})
    height = 0.8 / len(classes)
    figure, axes = plt.subplots(figsize=(7, 1.2 + 0.45 * len(rows) * max(1, len(classes) / 2)))
    for k, name in enumerate(classes):
        positions = [i + k * height for i in range(len(rows))]
        values = [(r["per_class_IoU"].get(name) or 0) * 100 for r in rows]
        bars = axes.barh(positions, values, height, label=name)
        axes.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
    axes.set_yticks([i + 0.4 - height / 2 for i in range(len(rows))], [r["name"] for r in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 112)  # room for the value printed after a 100 % bar
    axes.set_xlabel("IoU %")
    axes.set_title("per-class IoU", fontsize=10, pad=20)
    # Between the title and the bars: outside the axes, where it can cover nothing.
    axes.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(classes), fontsize=8, frameon=False, borderaxespad=0.2
    )
    axes.grid(axis="x", alpha=0.3)
    return figure


def _loss_curve(epochs: list[dict], offset: int) -> tuple:
    """(x, loss): each epoch's points within it (history's train_loss_points, x in epochs, epoch 1 ending at 1,
    drawn so that epoch N's points end at N) or, in older histories, its mean at N."""
    x, y = [], []
    for entry in epochs:
        points = entry.get("train_loss_points") or [[entry["epoch"], entry["train_loss"]]]
        for position, loss in points:
            x.append(offset + position)
            y.append(loss)
    return x, y


def training_curves(training: list[dict], qat: list[dict]):
    """Loss (within each epoch where the history has it) and validation mIoU per epoch: the float training,
    then QAT continuing on the same axis, shaded."""
    plt = pyplot()
    figure, (loss_axes, val_axes) = plt.subplots(1, 2, figsize=(10, 3.6))
    offset = max((e["epoch"] for e in training), default=0)
    for axes in (loss_axes, val_axes):
        if qat:  # epoch N is the stretch N-1..N, where its loss points lie and at whose end it is validated
            axes.axvspan(
                offset,
                offset + max(e["epoch"] for e in qat),
                color="#9a6700",
                alpha=0.08,
                label="QAT epochs",
            )
    if training:
        loss_axes.plot(*_loss_curve(training, 0), "o-", ms=3, label="float training")
        val_axes.plot(
            [e["epoch"] for e in training], [e["val_miou"] * 100 for e in training], "o-", ms=3, label="float: val mIoU"
        )
        if all(e.get("val_person_iou") is not None for e in training):
            val_axes.plot(
                [e["epoch"] for e in training],
                [e["val_person_iou"] * 100 for e in training],
                "s--",
                ms=3,
                label="float: val person IoU",
            )
        best = [e for e in training if e.get("best")]
        if best:
            kept = max(best, key=lambda e: e["val_miou"])
            val_axes.scatter(
                [kept["epoch"]],
                [kept["val_miou"] * 100],
                s=80,
                facecolors="none",
                edgecolors="black",
                zorder=4,
                label="float model kept",
            )
    if qat:
        epochs = [offset + e["epoch"] for e in qat]
        loss_axes.plot(
            *_loss_curve(qat, offset),
            "o-",
            ms=3,
            color="#9a6700",
            label="QAT (its loss includes distillation from the float model)",
        )
        val_axes.plot(epochs, [e["val_miou"] * 100 for e in qat], "o-", ms=3, color="#9a6700", label="QAT: val mIoU")
        if all(e.get("val_person_iou") is not None for e in qat):
            val_axes.plot(
                epochs,
                [e["val_person_iou"] * 100 for e in qat],
                "s--",
                ms=3,
                color="#cf8a00",
                label="QAT: val person IoU",
            )
    loss_axes.set_title("training loss", fontsize=10)
    loss_axes.set_ylabel("loss")
    val_axes.set_title("validation per epoch (QAT: fake-quantized Keras model)", fontsize=10)
    val_axes.set_ylabel("%")
    from matplotlib.ticker import MaxNLocator

    for axes in (loss_axes, val_axes):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        low, high = axes.get_xlim()  # the shaded QAT stretch sets them edge to edge: keep its points off the frame
        axes.set_xlim(low - 0.05 * (high - low), high + 0.05 * (high - low))
        axes.set_xlabel("epoch" + (" (QAT continues the count)" if qat and training else ""))
        axes.grid(alpha=0.3)
        axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return figure
