"""Preview image of an RT-DC file: a small JPEG overview of its events.

Behaviour follows the reference server's preview job: one column of panels,
each drawn only when the file has the data for it (scatter plot
``deform`` vs ``area_um``, the same coloured by a KDE density, one event image
with its contour, that event's mask, its fluorescence traces).

Only matplotlib's object-oriented API with the Agg canvas is used: no pyplot,
no rcParams, no backend switching, so renders may run concurrently in the
threads of a server.
"""
import os
import pathlib
import tempfile
from functools import partial

import dclab
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 80
WIDTH_IN = 4
UNIT_HEIGHT_IN = 1.5
MAX_EVENTS = 5000
EVENT_INDEX = 47
SPARSE_EVENTS = 1000
SCATTER_AXES = ("area_um", "deform")
TRACES = (("fl1_raw", "FL1", "#16A422"),
          ("fl2_raw", "FL2", "#CA8805"),
          ("fl3_raw", "FL3", "#C70000"))
FONT = 8
TICK_FONT = 7


def render_preview(path, out_path):
    """Render the overview JPEG of the RT-DC file *path* to *out_path*.

    The figure is 4 in wide (320 px at 80 dpi) and 1.5 in high per height
    unit: scatter and KDE panels take 2 units, event image and mask 1 each,
    fluorescence traces 2. A file without anything to plot gives a one-unit
    figure saying "No preview available".

    Basins are never followed (``enable_basins=False``): an uploaded file must
    not make the server read other files or URLs.

    Raises ``FileNotFoundError`` if *path* does not exist and ``ValueError``
    if it exists but cannot be opened as an RT-DC file (not HDF5, no events,
    ...). *out_path* is written atomically: on any error it is neither
    created nor replaced.
    """
    path, out_path = pathlib.Path(path), pathlib.Path(out_path)
    with _open_dataset(path) as ds:
        fig = _overview_figure(_panels(ds))
    _save_jpeg(fig, out_path)


def _open_dataset(path):
    """Open *path* with dclab, mapping every failure to open it to ValueError."""
    if not path.is_file():
        raise FileNotFoundError(f"RT-DC file not found: {path}")
    try:
        ds = dclab.new_dataset(path, enable_basins=False)
    except Exception as exc:  # h5py/dclab raise OSError, KeyError, ValueError...
        raise _unreadable(path, exc) from exc
    try:
        # dclab opens HDF5 files without an "events" group; len() fails on them
        count = len(ds)
    except Exception as exc:
        ds.close()
        raise _unreadable(path, exc) from exc
    if not count:
        ds.close()
        raise _unreadable(path, "no events")
    return ds


def _unreadable(path, reason):
    """The ValueError for a file that dclab cannot open."""
    return ValueError(f"not a readable RT-DC file: {path.name} ({reason})")


def _panels(ds):
    """``[(height units, draw(ax))]`` for every panel *ds* has data for."""
    panels = []
    if all(feat in ds for feat in SCATTER_AXES):
        sub = _first_events(ds)
        panels += [(2, partial(_draw_scatter, sub)),
                   (2, partial(_draw_kde, sub))]
    index = min(len(ds) - 1, EVENT_INDEX)
    if "image" in ds:
        panels.append((1, partial(_draw_image, ds, index)))
    if "mask" in ds:
        panels.append((1, partial(_draw_mask, ds, index)))
    if "trace" in ds and any(key in ds["trace"] for key, _, _ in TRACES):
        panels.append((2, partial(_draw_traces, ds, index)))
    return panels


def _first_events(ds):
    """Hierarchy child with the first ``MAX_EVENTS`` events of *ds*.

    Events with non-finite scatter values are left out; the histogram KDE
    cannot handle them.
    """
    # filtering settings stored in the file must not change the preview
    ds.reset_filter()
    manual = np.zeros(len(ds), dtype=bool)
    count = min(len(ds), MAX_EVENTS)
    manual[:count] = True
    for feat in SCATTER_AXES:
        manual[:count] &= np.isfinite(ds[feat][:count])
    ds.filter.manual[:] = manual
    ds.apply_filter()
    return dclab.new_dataset(ds)


def _overview_figure(panels):
    """Figure with one row per panel, or the "No preview available" text."""
    units = [height for height, _ in panels] or [1]
    fig = Figure(figsize=(WIDTH_IN, UNIT_HEIGHT_IN * sum(units)), dpi=DPI,
                 layout="constrained")
    FigureCanvasAgg(fig)
    if not panels:
        fig.text(0.5, 0.5, "No preview available", ha="center", va="center")
        return fig
    grid = fig.add_gridspec(nrows=len(panels), ncols=1, height_ratios=units)
    for row, (_, draw) in enumerate(panels):
        ax = fig.add_subplot(grid[row, 0])
        ax.tick_params(labelsize=TICK_FONT)
        draw(ax)
    return fig


def _draw_scatter(sub, ax):
    """Black scatter plot of the first events."""
    x, y = _scatter_data(sub)
    sparse = x.size < SPARSE_EVENTS
    ax.plot(x, y, "o", color="k", alpha=0.6 if sparse else 0.2,
            ms=_marker_size(x.size), mew=0)
    _decorate_scatter(ax, x, y, "Basic scatter plot")


def _draw_kde(sub, ax):
    """Scatter plot coloured by the event density, with colour bar."""
    x, y = _scatter_data(sub)
    # dclab's bin estimate divides by zero for one or two events; numpy's
    # error state is context-local (numpy >= 2), so this is thread-safe
    with np.errstate(divide="ignore", invalid="ignore"):
        density = sub.get_kde_scatter(xax=SCATTER_AXES[0],
                                      yax=SCATTER_AXES[1],
                                      kde_type="histogram")
    # densest events last, so that they are not hidden by sparse ones
    order = np.argsort(density, kind="stable")
    points = ax.scatter(x[order], y[order], c=density[order],
                        s=_marker_size(x.size) ** 2,
                        cmap="viridis", marker="o", linewidths=0)
    _decorate_scatter(ax, x, y, "KDE scatter plot")
    cbar = ax.figure.colorbar(points, ax=ax)
    cbar.set_label("Density", fontsize=FONT)
    cbar.ax.tick_params(labelsize=TICK_FONT)


def _scatter_data(sub):
    """The x and y values of the scatter panels as plain arrays."""
    return tuple(np.asarray(sub[feat][:]) for feat in SCATTER_AXES)


def _marker_size(count):
    """Marker size in points: tiny for dense plots, visible for a few events."""
    return 1 if count >= SPARSE_EVENTS else 3


def _decorate_scatter(ax, x, y, title):
    """Axis labels, title and 1st-99th percentile limits of a scatter panel."""
    ax.set_xlim(*_limits(x))
    ax.set_ylim(*_limits(y))
    ax.set_xlabel(dclab.dfn.get_feature_label(SCATTER_AXES[0]), fontsize=FONT)
    ax.set_ylabel(dclab.dfn.get_feature_label(SCATTER_AXES[1]), fontsize=FONT)
    ax.set_title(title, fontsize=FONT)


def _limits(values):
    """1st to 99th percentile of *values*, widened by a 10 % margin."""
    low, high = np.percentile(values, [1, 99])
    # a single event (or identical values) has no spread to take a margin of
    margin = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    return low - margin, high + margin


def _draw_image(ds, index, ax):
    """Gray event image with the event's contour in red (if known)."""
    ax.imshow(ds["image"][index], cmap="gray", interpolation="nearest")
    if "contour" in ds:
        contour = np.asarray(ds["contour"][index])
        ax.plot(contour[:, 0], contour[:, 1], color="r", lw=0.8)
    ax.set_title(f"Event image with contour (event {index + 1})", fontsize=FONT)
    ax.set_axis_off()


def _draw_mask(ds, index, ax):
    """The event's mask, axes in µm."""
    mask = ds["mask"][index]
    pixel = ds.config["imaging"].get("pixel size", 1.0)
    height, width = mask.shape
    ax.imshow(mask, cmap="gray", interpolation="nearest",
              extent=(0, width * pixel, height * pixel, 0))
    unit = "µm" if "pixel size" in ds.config["imaging"] else "px"
    ax.set_title(f"Event mask [{unit}]", fontsize=FONT)


def _draw_traces(ds, index, ax):
    """Raw fluorescence traces of the event against time in µs.

    The sample count comes from the trace itself ("samples per event" is
    missing in older files); without a sample rate the x axis is the sample.
    """
    rate = ds.config.get("fluorescence", {}).get("sample rate")
    for key, label, color in TRACES:
        if key in ds["trace"]:
            trace = np.asarray(ds["trace"][key][index])
            xs = np.arange(trace.size) / rate * 1e6 if rate else np.arange(trace.size)
            ax.plot(xs, trace, color=color, lw=0.8, label=label)
    ax.set_xlabel("Time [µs]" if rate else "Sample", fontsize=FONT)
    ax.set_ylabel("Fluorescence [a.u.]", fontsize=FONT)
    ax.set_title("Fluorescence traces", fontsize=FONT)
    ax.legend(fontsize=TICK_FONT, loc="best", frameon=False)


def _save_jpeg(fig, out_path):
    """Write *fig* as JPEG to *out_path* via a temporary file + rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp",
                               dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            fig.savefig(stream, format="jpeg", dpi=DPI)
        os.replace(tmp, out_path)
    except BaseException:
        os.unlink(tmp)
        raise
