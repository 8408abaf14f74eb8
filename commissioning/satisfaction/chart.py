"""The publication's chart: satisfied % for London and each borough with its 95% interval and the
target, as a PNG (matplotlib), with a text alternative. Suppressed areas are left out of the chart
(the table says "suppressed").

Status is shown by marker shape as well as colour (triangle up = above target, triangle down =
below, circle = not significantly different or no target), so it reads in greyscale and for people
who do not see colour differences.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from commissioning.satisfaction.publication import STATUS_WORDS, Publication, month_name

MARKERS = {"above": ("^", "#1d3557"), "below": ("v", "#b3261e"), "not significant": ("o", "#5c5c5c"),
           "no target": ("o", "#5c5c5c")}


def chart_png(pub: Publication, dpi: int = 150) -> bytes:
    """PNG bytes of the areas chart; wide enough for an A4 page at ``dpi``."""
    shown = pub.areas[~pub.areas["suppressed"] & pub.areas["lower95"].notna()]
    shown = shown.sort_values("satisfied_pct")
    height = 1.5 + 0.26 * max(len(shown), 1)
    fig, ax = plt.subplots(figsize=(7.2, height), dpi=dpi)
    y = range(len(shown))
    for i, r in zip(y, shown.itertuples()):
        marker, colour = MARKERS[r.status]
        ax.plot([r.lower95, r.upper95], [i, i], color=colour, linewidth=1.6, solid_capstyle="butt")
        ax.plot(r.satisfied_pct, i, marker=marker, color=colour, markersize=6.5, linestyle="none")
        if not math.isnan(r.target_pct):
            ax.plot(r.target_pct, i, marker="|", color="#1a1a1a", markersize=11, markeredgewidth=1.8)
    ax.set_yticks(list(y), [str(n) for n in shown["area_name"]], fontsize=9)
    for label, code in zip(ax.get_yticklabels(), shown["area_code"]):
        if code in ("E23000001", "E12000007"):
            label.set_fontweight("bold")
    ax.set_xlabel("Victims satisfied (%), with 95% confidence interval", fontsize=10)
    ax.tick_params(axis="x", labelsize=9)
    low = min(shown["lower95"].min(), shown["target_pct"].min()) if len(shown) else 0
    high = max(shown["upper95"].max(), shown["target_pct"].max()) if len(shown) else 100
    ax.set_xlim(max(0, math.floor((low - 3) / 5) * 5), min(100, math.ceil((high + 3) / 5) * 5))
    ax.set_ylim(-0.8, len(shown) - 0.2)
    ax.grid(axis="x", color="#d0d0d0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [plt.Line2D([], [], marker=MARKERS[s][0], color=MARKERS[s][1], linestyle="none", label=STATUS_WORDS[s])
               for s in ("above", "below", "not significant")]
    handles.append(plt.Line2D([], [], marker="|", color="#1a1a1a", linestyle="none", markersize=11,
                              markeredgewidth=1.8, label="Target"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.45, 1.0), ncol=4, fontsize=8.5, frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


def chart_alt(pub: Publication) -> str:
    """A text alternative for the chart: what it shows and the counts of each status."""
    shown = pub.areas[~pub.areas["suppressed"] & pub.areas["lower95"].notna()]
    counts = shown["status"].value_counts()
    parts = [f"{counts.get(s, 0)} {STATUS_WORDS[s].lower()}" for s in ("above", "below", "not significant")]
    if len(shown):
        low, high = shown.loc[shown["satisfied_pct"].idxmin()], shown.loc[shown["satisfied_pct"].idxmax()]
        span = (f" Lowest: {low.area_name} {low.satisfied_pct:.1f}%; highest: {high.area_name} "
                f"{high.satisfied_pct:.1f}%.")
    else:
        span = ""
    return (f"Dot chart of the percentage of victims satisfied in the 12 months to {month_name(pub.period_end)} for "
            f"{len(shown)} areas, each with its 95% confidence interval and target: " + ", ".join(parts) +
            f".{span} The same figures are in the table below.")
