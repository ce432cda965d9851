"""The view's time-series figure (matplotlib, object API, no pyplot): what clinicians look at.

Stacked panels sharing the day axis: the patient (whole-skeleton layer: spine and hip DXA, serum CTX and
P1NP, % of baseline); the biopsy's volumetric BMD; serum denosumab (log scale, ng/mL); cell counts.
Dose days are dotted vertical lines (colour per drug). The figure is
built once per model and only its lines are redrawn per frame (`TimeSeriesFigure.update`), which keeps
a frame under the time of a simulated day (a full matplotlib redraw takes ~130 ms, six days' worth).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

DRUG_COLOURS = {"denosumab": "#7b2cbf", "alendronate": "#2a9d8f", "zoledronate": "#e76f51", "teriparatide": "#f4a261"}

PANELS = (
    ("patient, % change", (("lumbar_spine_bmd_change_pct", "spine DXA", "#1d3557"),
                           ("total_hip_bmd_change_pct", "hip DXA", "#6d597a"),
                           ("serum_ctx_change_pct", "serum CTX", "#e63946"),
                           ("serum_p1np_change_pct", "serum P1NP", "#2a9d8f"))),
    ("biopsy, % change", (("biopsy_bmd_change_pct", "volume BMD", "#8ecae6"),)),
    ("serum denosumab (ng/mL)", (("serum_denosumab_ng_per_ml", "serum denosumab", "#7b2cbf"),)),
    ("cells", (("n_osteoclasts", "osteoclasts", "#e63946"), ("n_osteoblasts", "osteoblasts", "#2a9d8f"),
               ("n_active_bmus", "active BMUs", "#457b9d"))),
)

LOG_PANEL = 2  # serum denosumab


class TimeSeriesFigure:
    """A reusable figure over a fixed day range: `update(history)` returns JPEG bytes.

    Speed: axes, ticks, labels and the dose marks are drawn once into a background that is reused
    (matplotlib blitting); a frame restores it and draws only the lines. The background is redrawn
    only when a line leaves its panel's y-range, which then grows by a margin, so this is rare.
    """

    def __init__(self, last_day: float, dose_days: list[tuple[float, str, float]], width_in: float = 6.4,
                 height_in: float = 6.4, dpi: int = 100):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = Figure(figsize=(width_in, height_in), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(len(PANELS), 1, sharex=True)
        self.figure.subplots_adjust(left=0.13, right=0.98, top=0.96, bottom=0.08, hspace=0.12)
        self.lines: dict[str, object] = {}
        for ax, (ylabel, series) in zip(self.axes, PANELS):
            for name, label, colour in series:
                (self.lines[name],) = ax.plot([], [], color=colour, lw=1.4, label=label, animated=True)
            ax.set_ylabel(ylabel, fontsize=10)
            ax.tick_params(labelsize=9)
            ax.grid(alpha=0.25)
            if len(series) > 1:
                ax.legend(fontsize=9, loc="upper left", ncols=len(series), frameon=False)
        for ax in self.axes[:2]:
            ax.axhline(0.0, color="0.5", lw=0.6)
        self.axes[LOG_PANEL].set_yscale("log")
        self.axes[-1].set_xlabel("day", fontsize=10)
        self.axes[-1].set_xlim(0, max(float(last_day), 1.0))
        for day, drug, _ in dose_days:
            for ax in self.axes:
                ax.axvline(day, color=DRUG_COLOURS.get(drug, "0.3"), lw=0.8, ls=":")
        self.y_ranges = [(-5.0, 5.0), (-5.0, 5.0), (1.0, 1e4), (0.0, 10.0)]
        self._background = None
        self.full_redraws = 0

    def _needed_range(self, panel: int, history: dict[str, np.ndarray]) -> tuple[float, float]:
        low, high = self.y_ranges[panel]
        values = [np.asarray(history[name], dtype=np.float64) for name, _, _ in PANELS[panel][1] if name in history]
        values = [v[np.isfinite(v) & ((v > 0) if panel == LOG_PANEL else True)] for v in values]
        values = [v for v in values if v.size]
        if not values:
            return low, high
        vmin, vmax = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
        if vmin >= low and vmax <= high:
            return low, high
        if panel == LOG_PANEL:  # log axis: whole decades
            return min(low, 10 ** np.floor(np.log10(vmin))), max(high, 10 ** np.ceil(np.log10(vmax)))
        span = max(vmax - vmin, 1.0)
        return min(low, vmin - 0.25 * span), max(high, vmax + 0.25 * span)

    def update(self, history: dict[str, np.ndarray]) -> bytes:
        """Draw the lines of `history` (readout -> values, with "day") and return the figure as JPEG."""
        days = np.asarray(history.get("day", np.zeros(0)), dtype=np.float64)
        ranges = [self._needed_range(i, history) for i in range(len(PANELS))]
        if self._background is None or ranges != self.y_ranges:
            self.y_ranges = ranges
            for ax, (low, high) in zip(self.axes, ranges):
                ax.set_ylim(low, high)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.full_redraws += 1
        self.canvas.restore_region(self._background)
        for panel, (ax, (_, series)) in enumerate(zip(self.axes, PANELS)):
            for name, _, _ in series:
                line = self.lines[name]
                values = history.get(name)
                if values is None or len(values) != len(days):
                    continue
                values = np.asarray(values, dtype=np.float64)
                line.set_data(days, np.where(values > 0, values, np.nan) if panel == LOG_PANEL else values)
                ax.draw_artist(line)
        from engine.view.frames import encode_jpeg
        rgba = np.asarray(self.canvas.buffer_rgba())
        return encode_jpeg(rgba[..., :3])
