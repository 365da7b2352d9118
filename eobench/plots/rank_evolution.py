"""Rank of every team after each submission of a challenge phase (NeuCo-Bench Fig. 7).

Reads the leaderboard history of :func:`eobench.challenge.score_challenge`: one row per
submission, its ``order`` and a ``rank_<team>`` column per team.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from eobench.challenge import RANK_PREFIX
from eobench.errors import EobenchError
from eobench.plots.style import method_styles, save_figure
from eobench.tables.render import checked_settings

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "width": (8.0, "positive"),
    "height": (5.0, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Rank of each team over the submissions", "text"),
}
DEFAULTS = {key: default for key, (default, _) in SETTINGS.items()}

#: Markers handed out to teams in order, so teams stay apart where colours are close.
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p"]
#: Vertical offset between teams sharing a rank, in rank units: tied lines stay visible.
_TIE_OFFSET = 0.07


def team_ranks(history: pd.DataFrame) -> pd.DataFrame:
    """Ranks as a submission x team table (index ``order``, float with NaN before entry).

    Raises
    ------
    EobenchError
        Without an ``order`` column, without ``rank_<team>`` columns, without rows or
        with a rank that is not a number.
    """
    if "order" not in history.columns:
        raise EobenchError("leaderboard history: missing column 'order'")
    rank_columns = [c for c in history.columns if str(c).startswith(RANK_PREFIX)]
    if not rank_columns:
        raise EobenchError(f"leaderboard history: no {RANK_PREFIX}<team> columns")
    if history.empty:
        raise EobenchError("leaderboard history: the table is empty")
    table = history.set_index("order")[rank_columns].sort_index()
    try:
        # Missing ranks arrive as NaN (read from CSV) or pd.NA (Int64 or object columns).
        values = table.apply(pd.to_numeric).astype("Float64").to_numpy(float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise EobenchError(f"leaderboard history: a rank is not a number ({exc})") from exc
    return pd.DataFrame(
        values, index=table.index, columns=[c.removeprefix(RANK_PREFIX) for c in rank_columns]
    )


def plot_rank_evolution(
    history: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """Draw the rank of each team against the submission index and save it.

    Parameters
    ----------
    history : DataFrame
        The leaderboard history (``order``, ``team`` and ``rank_<team>`` columns).
    out_pdf, out_png : path
        Written atomically; the PNG is ``width * dpi`` by ``height * dpi`` pixels.
    settings : dict
        ``width``, ``height`` (inches), ``dpi``, ``title``.
    provenance : dict
        Stored in the PDF's and PNG's metadata.
    """
    settings = checked_settings(settings, SETTINGS, "figures.rank_evolution")
    figure = rank_evolution_figure(history, settings)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def rank_evolution_figure(history: pd.DataFrame, settings: dict[str, Any] | None = None):
    """The figure of :func:`plot_rank_evolution`.

    One step line per team, labelled with the team, from its first submission on (a
    rank holds until the next submission changes it); rank 1 at the top. A marker sits
    where the team itself submitted.
    """
    settings = checked_settings(settings, SETTINGS, "figures.rank_evolution")
    ranks = team_ranks(history)
    teams = list(ranks.columns)
    styles = method_styles(pd.DataFrame({"method": teams, "encoder": teams, "aggregation": "pre"}))
    submitted_by = (
        history.set_index("order")["team"].reindex(ranks.index)
        if "team" in history.columns
        else pd.Series(index=ranks.index, dtype=object)
    )
    order = ranks.index.to_numpy(dtype=float)
    # The last rank is drawn for half a step more, so the final standing is visible.
    x = np.append(order, order[-1] + 0.5)

    figure, axis = plt.subplots(
        figsize=(settings["width"], settings["height"]), layout="constrained"
    )
    for i, team in enumerate(teams):
        offset = (i - (len(teams) - 1) / 2) * _TIE_OFFSET
        y = ranks[team].to_numpy()
        style = styles[team]
        axis.step(
            x,
            np.append(y, y[-1]) + offset,
            where="post",
            color=style.colour,
            linewidth=1.8,
            label=team,
        )
        own = (submitted_by == team).to_numpy() & np.isfinite(y)
        axis.plot(
            order[own],
            y[own] + offset,
            linestyle="none",
            marker=_MARKERS[i % len(_MARKERS)],
            markersize=6,
            color=style.colour,
            markeredgecolor="white",
            markeredgewidth=0.6,
            label=f"_{team} submissions",  # leading underscore: not in the legend
            zorder=3,
        )
    n_ranks = int(np.nanmax(ranks.to_numpy())) if np.isfinite(ranks.to_numpy()).any() else 1
    axis.set_ylim(n_ranks + 0.5, 0.5)  # inverted: rank 1 at the top
    axis.set_yticks(np.arange(1, n_ranks + 1))
    axis.set_xlim(order[0] - 0.5, order[-1] + 0.5)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("submission")
    axis.set_ylabel("aggregated rank (1 = best)")
    axis.set_title(settings["title"], fontsize=11)
    axis.grid(axis="y", color="0.9", linewidth=0.7)
    axis.set_axisbelow(True)
    # Legend entries show the line with the team's marker, as the plot draws them.
    handles = [
        Line2D(
            [],
            [],
            color=styles[team].colour,
            linewidth=1.8,
            marker=_MARKERS[i % len(_MARKERS)],
            markersize=6,
            markeredgecolor="white",
            markeredgewidth=0.6,
        )
        for i, team in enumerate(teams)
    ]
    figure.legend(
        handles,
        teams,
        loc="outside right upper",
        fontsize=8.5,
        frameon=False,
        title="team",
        title_fontsize=8.5,
    )
    return figure
