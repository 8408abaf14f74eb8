"""Print-quality charts of demand over time (matplotlib, no pyplot state): the London rate with the
forecast fan, and every borough's rate with its 95% interval against London (a caterpillar plot,
as OHID Fingertips draws its comparisons). Colours are readable in greyscale: position and line
style carry the meaning, shade only repeats it."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

INK, BLUE, GREY = "#1a1a1a", "#1d70b8", "#6f777b"
COMPARE_COLOURS = {"significantly higher": "#b58840", "similar": "#f2f2f2", "significantly lower": "#4c6a8a"}


def _png(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def forecast_fan_png(history: pd.Series, future: pd.DataFrame, title: str, ylabel: str, *, dpi: int = 200,
                     contract: tuple[pd.Period, pd.Period] | None = None,
                     width_in: float = 6.7, height_in: float = 3.0) -> bytes:
    """Monthly ``history`` (PeriodIndex) as a line, then ``future`` (columns month, forecast,
    lower80, upper80, lower95, upper95) as a dashed line in 80% and 95% bands; the contract period,
    if given, shaded behind."""
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.add_axes([0.09, 0.16, 0.89, 0.72])
    x_past = history.index.to_timestamp()
    x_future = future["month"].dt.to_timestamp()
    if contract is not None:
        ax.axvspan(contract[0].to_timestamp(), (contract[1] + 1).to_timestamp(), color="#eeeeee", lw=0)
        ax.text(contract[0].to_timestamp(), 0.98, " contract period", transform=ax.get_xaxis_transform(),
                fontsize=7, va="top", color=GREY)
    ax.fill_between(x_future, future["lower95"], future["upper95"], color=BLUE, alpha=0.15, lw=0, label="95% interval")
    ax.fill_between(x_future, future["lower80"], future["upper80"], color=BLUE, alpha=0.3, lw=0, label="80% interval")
    ax.plot(x_past, history.to_numpy(), color=INK, lw=1.1, label="recorded")
    ax.plot(x_future, future["forecast"], color=BLUE, lw=1.2, ls="--", label="forecast (estimated)")
    ax.set_ylabel(ylabel, fontsize=7.5)
    top = readable_top(history, future)
    ax.set_ylim(0, top)
    if future["upper95"].max() > top:      # the band runs off the chart: say how far, in words on the chart
        ax.text(0.99, 0.98, f"the 95% interval reaches {future['upper95'].max():,.0f} a month (off the chart)",
                transform=ax.transAxes, ha="right", va="top", fontsize=6.8, color=GREY)
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", color="#dddddd", lw=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=6.8, frameon=False, ncol=4, loc="lower left", bbox_to_anchor=(0, -0.24))
    fig.text(0.09, 0.94, title, fontsize=8.5, color=INK, weight="bold")
    return _png(fig, dpi)


#: The forecast chart's vertical scale reaches this many times the larger of the recorded and central
#: forecast figures, so the series stays readable however wide the 95% interval is.
READABLE_HEADROOM = 1.4


def readable_top(history: pd.Series, future: pd.DataFrame) -> float:
    """The top of a forecast chart's scale: the 80% band if it fits under :data:`READABLE_HEADROOM`
    times the larger of the recorded series and the central forecast, else that."""
    level = max(float(history.max()), float(future["forecast"].max()))
    return min(max(float(future["upper80"].max()), level) * 1.05, READABLE_HEADROOM * level)


def caterpillar_png(latest: pd.DataFrame, london_rate: float, title: str, *, dpi: int = 200,
                    width_in: float = 6.7, height_in: float = 5.6) -> bytes:
    """One row per borough (columns name, rate, lower95, upper95, vs_london), highest rate at the
    top: a dot with its 95% interval, the London rate as a vertical line, the dot filled by the
    comparison (darker = significantly higher, blue = significantly lower, white = similar)."""
    rows = latest.sort_values("rate")
    y = np.arange(len(rows))
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.add_axes([0.25, 0.09, 0.72, 0.84])
    ax.hlines(y, rows["lower95"], rows["upper95"], color=GREY, lw=1.2)
    ax.scatter(rows["rate"], y, s=22, zorder=3, edgecolor=INK, linewidths=0.6,
               c=[COMPARE_COLOURS[v] for v in rows["vs_london"]])
    ax.axvline(london_rate, color=INK, ls="--", lw=0.9)
    ax.text(london_rate, len(rows) - 0.3, f" London {london_rate:,.0f}", fontsize=7, va="bottom")
    ax.set_yticks(y, rows["name"], fontsize=6.8)
    ax.set_ylim(-0.7, len(rows) + 0.4)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("per 100,000 residents, with 95% interval (Byar)", fontsize=7.5)
    ax.grid(axis="x", color="#dddddd", lw=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [ax.scatter([], [], s=22, c=colour, edgecolor=INK, linewidths=0.6, label=label)
               for label, colour in COMPARE_COLOURS.items()]
    ax.legend(handles=handles, fontsize=6.8, frameon=False, loc="lower right")
    fig.text(0.25, 0.955, title, fontsize=8.5, color=INK, weight="bold")
    return _png(fig, dpi)
