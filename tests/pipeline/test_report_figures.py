"""The report's plots stay readable: labels overlap nothing and stay inside their axes, the legend hides no
bar, and the curves show both training and QAT. Measured on matplotlib's own text boxes."""

import pytest

from edge_deeplab.pipeline import figures

#: The main job's crowd: five exports within hundredths of a point and of a millisecond (two exactly on one
#: spot), and three peers, one scoring almost nothing on the synthetic scenes.
CROWD = [
    {"name": "fp32", "ms": 3.10, "miou": 0.8628, "peer": False},
    {"name": "fp16", "ms": 3.10, "miou": 0.8628, "peer": False},
    {"name": "dynamic", "ms": 3.32, "miou": 0.8627, "peer": False},
    {"name": "int8", "ms": 2.41, "miou": 0.8610, "peer": False},
    {"name": "qat-int8", "ms": 2.44, "miou": 0.8480, "peer": False},
    {"name": "peer:deeplabv3-voc", "ms": 10.8, "miou": 0.0002, "peer": True},
    {"name": "peer:mediapipe-selfie", "ms": 2.5, "miou": 0.3663, "peer": True},
    {"name": "peer:coral-voc", "ms": 98.0, "miou": 0.4101, "peer": True},
]

#: A tiny run's numbers on a busy machine (2026-12-02): two exports on one spot beside a third, so their
#: labels need leader lines.
SPREAD = [
    {"name": "fp32", "ms": 7.31, "miou": 0.3648, "peer": False},
    {"name": "fp16", "ms": 0.94, "miou": 0.3647, "peer": False},
    {"name": "dynamic", "ms": 39.18, "miou": 0.3657, "peer": False},
    {"name": "int8", "ms": 0.53, "miou": 0.3656, "peer": False},
    {"name": "qat-int8", "ms": 0.52, "miou": 0.5383, "peer": False},
    {"name": "peer:deeplabv3-voc", "ms": 20.20, "miou": 0.3360, "peer": True},
    {"name": "peer:mediapipe-selfie", "ms": 8.31, "miou": 0.7519, "peer": True},
    {"name": "peer:coral-voc", "ms": 236.69, "miou": 0.3426, "peer": True},
]


def test_the_overlap_check_sees_overlapping_labels():
    """The check itself: the old plot (every label 4 points right of its point) fails it on this crowd."""
    plt = figures.pyplot()
    figure, axes = plt.subplots(figsize=(6, 4))
    for point in CROWD:
        axes.scatter(point["ms"], point["miou"] * 100)
        axes.annotate(
            point["name"], (point["ms"], point["miou"] * 100), fontsize=8, xytext=(4, 4), textcoords="offset points"
        )
    assert ("fp32", "fp16") in figures.overlapping_texts(figure)
    assert "peer:coral-voc" in figures.texts_outside(figure)  # the farthest point sits on the frame
    plt.close(figure)


@pytest.mark.parametrize(
    "points",
    [CROWD, CROWD[:5], CROWD[:1], [dict(p, ms=p["ms"] * 0.01) for p in CROWD], SPREAD],
    ids=["with peers", "exports only", "one model", "tiny latencies", "spread"],
)
def test_accuracy_latency_labels_overlap_nothing_and_stay_inside(points):
    figure = figures.accuracy_latency(points)
    assert figures.overlapping_texts(figure) == []
    assert figures.texts_outside(figure) == []
    labelled = ", ".join(text.get_text() for text in figure.axes[0].texts)
    assert all(point["name"] in labelled for point in points)
    # No point on the frame, in any panel: each at least a marker's width inside.
    drawn = 0
    for axes in figure.axes:
        frame = axes.get_window_extent()
        for collection in axes.collections:
            for x, y in axes.transData.transform(collection.get_offsets()):
                assert frame.x0 + 5 < x < frame.x1 - 5 and frame.y0 + 5 < y < frame.y1 - 5
                drawn += 1
    assert drawn >= len(points)
    figures.pyplot().close(figure)


def test_exports_squeezed_by_the_peers_get_a_zoomed_panel():
    figure = figures.accuracy_latency(CROWD)
    assert len(figure.axes) == 2
    zoomed = {text.get_text() for text in figure.axes[1].texts}
    assert zoomed == {"fp32, fp16", "dynamic", "int8", "qat-int8"}  # only fp32 and fp16 share their spot
    figures.pyplot().close(figure)


def test_coinciding_points_share_one_label():
    figure = figures.accuracy_latency(CROWD[:2])
    assert [text.get_text() for text in figure.axes[0].texts] == ["fp32, fp16"]
    figures.pyplot().close(figure)


def test_the_per_class_legend_hides_no_bar():
    rows = [{"name": point["name"], "per_class_IoU": {"background": 0.99, "person": point["miou"]}} for point in CROWD]
    figure = figures.per_class_iou(rows)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    legend = axes.get_legend().get_window_extent(renderer)
    bars = [patch.get_window_extent(renderer) for patch in axes.patches]
    assert len(bars) == 2 * len(CROWD)
    assert not any(legend.overlaps(bar) for bar in bars)
    assert not legend.overlaps(axes.get_window_extent(renderer))
    assert figures.overlapping_texts(figure) == []  # the values printed after the bars
    figures.pyplot().close(figure)


def _epochs(count, loss, miou):
    return [
        {
            "epoch": e + 1,
            "train_loss": loss - 0.01 * e,
            "val_miou": miou + 0.01 * e,
            "val_person_iou": miou,
            "best": e == count - 1,
        }
        for e in range(count)
    ]


def test_the_curves_show_the_loss_and_qat():
    figure = figures.training_curves(_epochs(4, 0.6, 0.7), _epochs(2, 0.4, 0.8))
    loss_axes, val_axes = figure.axes
    loss_lines = {line.get_label() for line in loss_axes.get_lines()}
    assert "float training" in loss_lines and any(label.startswith("QAT") for label in loss_lines)
    qat = next(line for line in val_axes.get_lines() if line.get_label() == "QAT: val mIoU")
    assert list(qat.get_xdata()) == [5, 6]  # QAT continues the float run's epoch count
    figures.pyplot().close(figure)
    figure = figures.training_curves([], _epochs(2, 0.4, 0.8))  # from a trained model: QAT alone
    assert [line.get_label() for line in figure.axes[1].get_lines()][0] == "QAT: val mIoU"
    figures.pyplot().close(figure)


def test_one_qat_epoch_draws_its_loss_within_the_epoch():
    qat = _epochs(1, 0.4, 0.8)
    qat[0]["train_loss_points"] = [[0.25, 0.5], [0.5, 0.45], [0.75, 0.41], [1.0, 0.38]]
    figure = figures.training_curves(_epochs(2, 0.6, 0.7), qat)
    line = next(line for line in figure.axes[0].get_lines() if line.get_label().startswith("QAT"))
    assert list(line.get_xdata()) == [2.25, 2.5, 2.75, 3.0] and list(line.get_ydata()) == [0.5, 0.45, 0.41, 0.38]
    # the shaded QAT stretch is where its loss points lie: epoch 3 runs from 2 to 3
    band = next(patch for patch in figure.axes[0].patches if patch.get_label() == "QAT epochs")
    left, right = band.get_x(), band.get_x() + band.get_width()
    assert (left, right) == (2, 3)
    figures.pyplot().close(figure)
