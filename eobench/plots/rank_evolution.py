"""Rank of every team after each submission of a challenge phase (NeuCo-Bench Fig. 7).

Reads the leaderboard history of :func:`eobench.challenge.score_challenge`: one row per
submission, its ``order`` and a ``rank_<team>`` column per team.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from eobench.challenge import RANK_PREFIX
from eobench.errors import EobenchError
from eobench.plots.style import add_caption, method_style, protocol_note, save_figure
from eobench.tables.render import checked_settings

#: key -> (default, kind); see :func:`eobench.tables.render.checked_settings`.
SETTINGS = {
    "width": (8.0, "positive"),
    "height": (5.0, "positive"),
    "dpi": (200, "positive_int"),
    "title": ("Rank of each team over the submissions", "text"),
}
DEFAULTS = {key: default for key, (default, _) in SETTINGS.items()}

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


def submission_rounds(history: pd.DataFrame) -> pd.Series:
    """The round (1, 2, ...) of every submission, indexed by ``order``.

    A round ends where a team that already submitted in it submits again: in the demo,
    round 1 holds every team's first table and round 2 every team's second. Without a
    ``team`` column everything is round 1.
    """
    table = history.sort_values("order")
    rounds, current, seen = [], 1, set()
    for team in table["team"] if "team" in table else [None] * len(table):
        if team is not None and team in seen:
            current, seen = current + 1, set()
        seen.add(team)
        rounds.append(current)
    return pd.Series(rounds, index=table["order"].to_numpy(), name="round")


def tie_offsets(ranks: pd.DataFrame, step: float = _TIE_OFFSET) -> pd.DataFrame:
    """Vertical offsets that keep tied teams' lines apart: 0 where a team's rank is its
    own, else spread by ``step`` around the shared rank (team order kept)."""
    offsets = pd.DataFrame(0.0, index=ranks.index, columns=ranks.columns)
    for order, row in ranks.iterrows():
        for _, teams in row.dropna().groupby(row.dropna()).groups.items():
            if len(teams) > 1:
                spread = (np.arange(len(teams)) - (len(teams) - 1) / 2) * step
                offsets.loc[order, list(teams)] = spread
    return offsets


def plot_rank_evolution(
    history: pd.DataFrame,
    out_pdf,
    out_png,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    **context,
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
    **context
        ``encoders``, ``phase``, ``k_splits``, ``tasks``, ``protocol`` of
        :func:`rank_evolution_figure`.
    """
    settings = checked_settings(settings, SETTINGS, "figures.rank_evolution")
    figure = rank_evolution_figure(history, settings, **context)
    save_figure(figure, out_pdf, out_png, settings["dpi"], provenance)


def rank_evolution_figure(
    history: pd.DataFrame,
    settings: dict[str, Any] | None = None,
    *,
    encoders: Sequence[str] | None = None,
    phase: str | None = None,
    k_splits: int | None = None,
    tasks: Sequence[str] | None = None,
    protocol: str | None = None,
):
    """The figure of :func:`plot_rank_evolution`.

    One step line per team, labelled with the team, from its first submission on (a
    rank holds until the next submission changes it); rank 1 at the top. A marker sits
    where the team itself submitted; rounds (see :func:`submission_rounds`) are
    separated and named. Teams that share a rank are drawn slightly apart, as the
    caption says.

    Parameters
    ----------
    history : DataFrame
        See :func:`plot_rank_evolution`.
    settings : dict
        See :func:`plot_rank_evolution`.
    encoders : sequence of str, optional
        The style registry's order: a team named like an encoder gets its colour and
        marker.
    phase, k_splits, tasks, protocol : optional
        The challenge phase, its K and task set (named in the title) and protocol
        (in the caption).
    """
    settings = checked_settings(settings, SETTINGS, "figures.rank_evolution")
    ranks = team_ranks(history)
    teams = list(ranks.columns)
    styles = {team: method_style(team, "post", encoders) for team in teams}
    submitted_by = (
        history.set_index("order")["team"].reindex(ranks.index)
        if "team" in history.columns
        else pd.Series(index=ranks.index, dtype=object)
    )
    order = ranks.index.to_numpy(dtype=float)
    # The last rank is drawn for half a step more, so the final standing is visible.
    x = np.append(order, order[-1] + 0.5)
    offsets = tie_offsets(ranks)

    figure, axis = plt.subplots(
        figsize=(settings["width"], settings["height"]), layout="constrained"
    )
    for team in teams:
        y = ranks[team].to_numpy() + offsets[team].to_numpy()
        style = styles[team]
        axis.step(
            x, np.append(y, y[-1]), where="post", color=style.colour, linewidth=1.8, label=team
        )
        own = (submitted_by == team).to_numpy() & np.isfinite(y)
        axis.plot(
            order[own],
            y[own],
            linestyle="none",
            marker=style.marker,
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
    axis.set_xlabel("submission (in order of arrival)")
    axis.set_ylabel("aggregated rank (1 = best)")
    _mark_rounds(axis, history)
    line = _phase_line(phase, k_splits, tasks)
    axis.set_title(settings["title"] + ("\n" + line if line else ""), fontsize=10.5)
    axis.grid(axis="y", color="0.9", linewidth=0.7)
    axis.set_axisbelow(True)
    _legend(figure, teams, styles)
    tied = bool((offsets.to_numpy() != 0).any())
    add_caption(
        figure,
        [
            "Markers: the team's own submissions; a rank holds until a submission changes it.",
            protocol_note(protocol),
            f"Teams sharing a rank are drawn {_TIE_OFFSET:g} rank apart." if tied else "",
        ],
    )
    return figure


def _phase_line(phase, k_splits, tasks) -> str:
    """``evaluation phase · K = 200 splits · all 11 tasks``, for the title."""
    parts = [f"{phase} phase"] if phase else []
    if k_splits is not None:
        parts.append(f"K = {int(k_splits)} splits")
    if tasks:
        tasks = list(tasks)
        named = ", ".join(tasks) if len(tasks) <= 4 else f"{len(tasks)} tasks"
        parts.append(f"tasks: {named}" if len(tasks) <= 4 else named)
    return " · ".join(parts)


def _mark_rounds(axis, history: pd.DataFrame) -> None:
    """A line between rounds, and each round's name (with what its files share, e.g.
    ``round 1: pre``) on a top axis."""
    rounds = submission_rounds(history)
    if rounds.nunique() < 2:
        return
    files = history.set_index("order").get("file")
    centres, names = [], []
    for number, members in rounds.groupby(rounds).groups.items():
        members = list(members)
        if number > 1:
            axis.axvline(min(members) - 0.5, color="0.55", linewidth=0.9, linestyle="--")
        name = f"round {number}"
        if files is not None:
            stems = [str(f).removesuffix(".csv") for f in files[members]]
            kinds = {stem.rsplit("__", 1)[-1] for stem in stems}
            if len(kinds) == 1 and all("__" in stem for stem in stems):
                name += f": {kinds.pop()}"
        centres.append((min(members) + max(members)) / 2)
        names.append(name)
    top = axis.secondary_xaxis("top")
    top.set_xticks(centres, names)
    top.tick_params(length=0, labelsize=7.5, labelcolor="0.35")


def _legend(figure, teams, styles) -> None:
    """Legend entries show the line with the team's marker, as the plot draws them."""
    handles = [
        Line2D(
            [],
            [],
            color=styles[team].colour,
            linewidth=1.8,
            marker=styles[team].marker,
            markersize=6,
            markeredgecolor="white",
            markeredgewidth=0.6,
        )
        for team in teams
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
