"""Probe heads, embedding-size reduction, the ViT-like encoder, ablation and claims tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from eobench.config import check_ablations
from eobench.embeddings import table_columns
from eobench.encoders import build_encoder
from eobench.encoders.base import CubeBatch
from eobench.encoders.reduction import reduce_features
from eobench.errors import EobenchError
from eobench.probes.heads import ProbeHead, fit_head
from eobench.probes.linear import ProbeSettings, task_splits
from eobench.probes.runtime import runtime_scaling
from eobench.statistics import leaderboard_with_intervals
from eobench.tables.ablations import converged_gap_table, probe_depth_table, size_curve
from eobench.tables.render import render_table

# -- reduction recipes ---------------------------------------------------------------


def test_cnn_recipe_is_repeated_pairwise_means():
    features = np.array([[1.0, 3.0, 5.0, 7.0, 2.0, 4.0, 6.0, 8.0]])
    halved = np.array([[2.0, 6.0, 3.0, 7.0]])  # pairwise means, by hand
    np.testing.assert_allclose(reduce_features(features, 4, "cnn"), halved)
    np.testing.assert_allclose(reduce_features(features, 2, "cnn"), [[4.0, 5.0]])
    np.testing.assert_allclose(reduce_features(halved, 2, "cnn"), [[4.0, 5.0]])


@pytest.mark.parametrize("size", [7, 64, 100, 191])
def test_reduction_equals_adaptive_average_pooling(size):
    features = np.random.default_rng(0).normal(size=(6, 192)).astype(np.float32)
    expected = torch.nn.functional.adaptive_avg_pool1d(torch.from_numpy(features)[:, None], size)
    np.testing.assert_allclose(
        reduce_features(features, size, "vit"), expected[:, 0].numpy(), atol=1e-6
    )


@pytest.mark.parametrize("recipe", ["cnn", "vit"])
def test_wider_sizes_are_zero_padded(recipe):
    features = np.arange(6, dtype=np.float32).reshape(2, 3)
    padded = reduce_features(features, 5, recipe)
    np.testing.assert_array_equal(padded[:, :3], features)
    np.testing.assert_array_equal(padded[:, 3:], 0)


def test_unknown_recipe_is_rejected():
    with pytest.raises(EobenchError, match="recipe"):
        reduce_features(np.ones((1, 4)), 2, "resnet")


# -- the ViT-like encoder ------------------------------------------------------------------


def _batch(n=3, size=16, seed=0):
    rng = np.random.default_rng(seed)
    cubes = {
        "s2l1c": rng.uniform(0, 3000, (n, 1, 13, size, size)).astype(np.float32),
        "s2l2a": rng.uniform(0, 3000, (n, 1, 12, size, size)).astype(np.float32),
        "s1": rng.uniform(-25, 0, (n, 1, 2, size, size)).astype(np.float32),
    }
    return CubeBatch(cubes, np.arange(n), [f"s{i}" for i in range(n)], (0,))


def test_patch_transformer_layer_zero_is_the_mean_patch_embedding():
    from eobench.data.bands import stack_normalised
    from eobench.encoders.patch_transformer import sinusoidal_positions

    batch = _batch()
    encoder = build_encoder(
        {"type": "patch_transformer", "layer": 0, "width": 32, "heads": 2}, 64, seed=5
    )
    stacked = stack_normalised(batch.cubes)[:, 0]  # [B, 27, 16, 16]
    # Patches cut by hand: [B, 4 x 4 patches, 27 * 4 * 4] in unfold's channel-major order.
    patches = stacked.reshape(3, 27, 4, 4, 4, 4).transpose(0, 2, 4, 1, 3, 5).reshape(3, 16, -1)
    tokens = patches @ encoder.projection.numpy() + sinusoidal_positions(4, 4, 32).numpy()
    embedded = encoder.encode(batch)
    np.testing.assert_allclose(embedded[:, :32], tokens.mean(axis=1), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(embedded[:, 32:], 0)  # the ViT recipe pads to N


def test_patch_transformer_layers_share_their_weights_and_are_seeded():
    batch = _batch()
    spec = {"type": "patch_transformer", "depth": 3, "width": 24, "heads": 2}
    deep = build_encoder({**spec, "layer": 3}, 24, seed=1)
    shallow = build_encoder({**spec, "layer": 2}, 24, seed=1)
    for a, b in zip(shallow.blocks.parameters(), list(deep.blocks.parameters()), strict=False):
        torch.testing.assert_close(a, b)
    np.testing.assert_array_equal(deep.encode(batch), build_encoder(spec, 24, 1).encode(batch))
    assert not np.allclose(deep.encode(batch), shallow.encode(batch))
    assert not np.allclose(deep.encode(batch), build_encoder(spec, 24, 2).encode(batch))


def test_patch_transformer_rejects_bad_parameters():
    with pytest.raises(EobenchError, match=r"encoders\.vit.*layer"):
        build_encoder({"type": "patch_transformer", "layer": 9}, 16, 0, key="encoders.vit")
    encoder = build_encoder({"type": "patch_transformer", "patch_size": 5}, 16, 0)
    with pytest.raises(EobenchError, match="patch_size"):
        encoder.encode(_batch())


# -- probe heads -----------------------------------------------------------------------------


def test_head_parameter_counts_match_torch_modules():
    dim = 64
    mlp = ProbeHead.from_config("mlp2", {"type": "mlp", "hidden_layers": [32, 16]})
    modules = torch.nn.Sequential(
        torch.nn.Linear(dim, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 1),
    )  # fmt: skip
    assert mlp.parameter_count(dim) == sum(p.numel() for p in modules.parameters())
    assert ProbeHead.from_config("linear", {"type": "linear"}).parameter_count(dim) == dim + 1
    assert ProbeHead.from_config("knn", {"type": "knn"}).parameter_count(dim) == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "lasso"}, r"probe_heads\.h\.type"),
        ({"type": "svm"}, r"probe_heads\.h\.probe_params: an svm head needs its search"),
        ({"type": "mlp"}, r"probe_heads\.h\.hidden_layers"),
        ({"type": "linear", "hidden_layers": [4]}, r"probe_heads\.h\.hidden_layers"),
        ({"type": "knn", "k": 3}, r"probe_heads\.h\.k: unknown"),
    ],
)
def test_bad_head_specs_name_the_key(spec, message):
    with pytest.raises(EobenchError, match=message):
        ProbeHead.from_config("h", spec)


def test_converged_head_pairs_with_the_paper_probe_split_by_split():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8)).astype(np.float32)
    y = x @ rng.normal(size=8) + 0.1 * rng.normal(size=300)
    y = (y - y.min()) / np.ptp(y)
    settings = ProbeSettings(k_splits=4, epochs=3, device="cpu")
    head = ProbeHead.from_config("converged", {"type": "converged"})
    neuco = task_splits(settings, 300, "t")
    strict = task_splits(
        settings.__class__(**{**settings.as_dict(), "protocol": "strict"}), 300, "t"
    )
    np.testing.assert_array_equal(neuco.test, strict.test)
    result = fit_head(head, x, y, "regr", head.settings(settings), "t", strict)
    paper = fit_head(ProbeHead(), x, y, "regr", settings, "t", neuco)
    assert (result.scores > 0.95).all()  # ridge decodes a linear target almost exactly
    assert result.scores.mean() > paper.scores.mean()  # 3 AdamW epochs do not


def test_table_columns_parse_ablation_tables():
    assert table_columns("post_n256")["size"] == 256
    assert table_columns("pre_layer2")["layer"] == 2
    assert table_columns("none")["aggregation"] == "none"
    with pytest.raises(EobenchError, match="embedding table"):
        table_columns("post_x1")


# -- ablation tables and claims --------------------------------------------------------------


def _summary(rows):
    frame = pd.DataFrame(rows, columns=["encoder", "head", "task", "task_type", "mean_score"])
    frame["metric"] = np.where(frame["task_type"] == "regr", "r2", "f1")
    frame["q"] = frame["mean_score"] * 10
    frame["std_score"] = 0.01
    frame["head_parameters"] = frame["head"].map({"linear": 9, "mlp1": 100, "converged": 9})
    return frame


DEPTH = _summary(
    [
        ("strong", "linear", "a", "regr", 0.80),
        ("strong", "linear", "b", "regr", 0.70),
        ("strong", "mlp1", "a", "regr", 0.82),
        ("strong", "mlp1", "b", "regr", 0.72),
        ("strong", "converged", "a", "regr", 0.90),
        ("strong", "converged", "b", "regr", 0.90),
        ("weak", "linear", "a", "regr", 0.10),
        ("weak", "linear", "b", "regr", 0.20),
        ("weak", "mlp1", "a", "regr", 0.30),
        ("weak", "mlp1", "b", "regr", 0.30),
        ("weak", "converged", "a", "regr", 0.15),
        ("weak", "converged", "b", "regr", 0.25),
    ]
)


def test_probe_depth_table_by_hand():
    table = probe_depth_table(DEPTH).set_index(["encoder", "head"])
    assert table.loc[("strong", "mlp1"), "mean_score"] == pytest.approx(0.77)
    assert table.loc[("strong", "mlp1"), "gain_vs_linear"] == pytest.approx(0.02)
    assert table.loc[("weak", "mlp1"), "gain_vs_linear"] == pytest.approx(0.15)
    assert table.loc[("weak", "mlp1"), "parameters"] == 100


def test_common_splits_keep_the_splits_every_run_has():
    from sklearn.model_selection import ShuffleSplit

    from eobench.tables.ablations import common_splits

    scores = pd.DataFrame(
        {"method": ["a"] * 4 + ["b"] * 2, "split": [0, 1, 2, 3, 0, 1], "score": range(6)}
    )
    assert common_splits(scores, ["method"])["split"].tolist() == [0, 1, 0, 1]
    # Why it pairs: fewer ShuffleSplit splits are the first ones of more.
    grid = np.empty((50, 1))
    few = [test for _, test in ShuffleSplit(3, test_size=0.1, random_state=42).split(grid)]
    more = [test for _, test in ShuffleSplit(8, test_size=0.1, random_state=42).split(grid)]
    for a, b in zip(few, more, strict=False):
        np.testing.assert_array_equal(a, b)


def test_converged_gap_by_hand():
    gap = converged_gap_table(DEPTH).set_index(["encoder", "task"])
    assert gap.loc[("strong", "b"), "gap"] == pytest.approx(0.20)
    assert gap.loc[("weak", "a"), "paper_probe"] == pytest.approx(0.10)
    with pytest.raises(EobenchError, match="converged"):
        converged_gap_table(DEPTH[DEPTH["head"] != "converged"])


def test_size_curve_sorts_sizes():
    summary = pd.DataFrame(
        {"encoder": "e", "size": [64, 16, 64, 16], "mean_score": [1, 2, 3, 4], "q": 0.0}
    )
    curve = size_curve(summary)
    assert curve["size"].tolist() == [16, 64]
    assert curve["mean_score"].tolist() == [3.0, 2.0]


def test_leaderboard_with_intervals():
    board = pd.DataFrame({"method": ["a", "b"], "mean_q": [2.0, 1.0], "aggregated_rank": [1, 2]})
    intervals = pd.DataFrame(
        {
            "method": ["a", "b", "a", "b"],
            "resample": ["splits", "splits", "tasks", "tasks"],
            "mean_q_low": [1.5, 0.5, 1.0, 0.0],
            "mean_q_high": [2.5, 1.5, 3.0, 2.0],
            "rank_low": [1.0, 1.0, 1.0, 2.0],
            "rank_high": [2.0, 2.0, 1.0, 2.0],
        }
    )
    table = leaderboard_with_intervals(board, intervals)
    assert table["mean Q over splits"].tolist() == ["[1.50, 2.50]", "[0.50, 1.50]"]
    assert table["rank over tasks"].tolist() == ["[1, 1]", "[2, 2]"]
    assert "rank by lower bound" not in table
    # The companion board lists methods in its own order: ranks follow the method.
    companion = pd.DataFrame({"method": ["b", "a"], "aggregated_rank": [1, 2]})
    table = leaderboard_with_intervals(board, intervals, companion)
    assert table["method"].tolist() == ["a", "b"]
    assert table["rank by lower bound"].tolist() == [2, 1]


def test_render_table_formats_numbers_and_missing_values(tmp_path, repo):
    frame = pd.DataFrame({"name": ["a_b", "c"], "n": [1, 2], "value": [0.12345, np.nan]})
    out = {ext: tmp_path / f"t.{ext}" for ext in ("csv", "md", "tex")}
    templates = repo / "report" / "templates"
    render_table(
        frame, out["csv"], out["md"], out["tex"], templates / "table.md.j2",
        templates / "table.tex.j2", {"decimals": 3, "caption": "R² ± sd"},
    )  # fmt: skip
    md = out["md"].read_text()
    assert "| a_b | 1 | 0.123 |" in md and "| c | 2 | – |" in md and "|---|---:|---:|" in md
    tex = out["tex"].read_text()
    assert r"a\_b & $1$ & $0.123$ \\" in tex and r"R$^2$ $\pm$ sd" in tex
    pd.testing.assert_frame_equal(pd.read_csv(out["csv"]), frame)
    with pytest.raises(EobenchError, match=r"tables\.x: unknown setting 'colour'"):
        render_table(frame, *out.values(), templates / "table.md.j2",
                     templates / "table.tex.j2", {"colour": 1}, what="tables.x")  # fmt: skip


def test_runtime_scaling_covers_the_grid():
    table = runtime_scaling(ProbeSettings(device="cpu"), 100, [8, 16], [1, 2], [2])
    assert table[["embedding_dim", "epochs"]].values.tolist() == [[8, 1], [8, 2], [16, 1], [16, 2]]
    assert (table["seconds_per_task"] > 0).all()
    assert set(table["device"]) == {"cpu"}


@pytest.mark.parametrize(
    ("ablations", "message"),
    [
        ({"probe_depth": {"heads": ["deep"]}}, r"ablations\.probe_depth\.heads: 'deep'"),
        ({"probe_depth": {"encoders": ["vit"]}}, r"ablations\.probe_depth\.encoders: 'vit'"),
        (
            {"embedding_size": {"encoders": [{"encoder": "x", "recipe": "cnn"}]}},
            r"ablations\.embedding_size\.encoders: 'x'",
        ),
        ({"layers": {"encoders": ["rcf"]}}, r"ablations\.layers\.encoders: encoder 'rcf'"),
    ],
)
def test_ablation_config_errors_name_the_key(ablations, message):
    config = {
        "encoders": {"rcf": {"type": "rcf"}},
        "probe_heads": {"linear": {"type": "linear"}},
        "ablations": ablations,
    }
    with pytest.raises(EobenchError, match=message):
        check_ablations(config)


# -- ablation figures ------------------------------------------------------------------------


def _ablation_summary():
    rows = []
    for encoder in ("rcf", "vit"):
        for size in (16, 64, 256):
            for layer in (0, 1):
                for head in ("linear", "mlp1"):
                    for task, task_type in (("a", "regr"), ("b", "cls")):
                        rows.append((encoder, size, layer, head, task, task_type))
    frame = pd.DataFrame(rows, columns=["encoder", "size", "layer", "head", "task", "task_type"])
    frame["metric"] = np.where(frame["task_type"] == "regr", "r2", "f1")
    frame["mean_score"] = np.log2(frame["size"]) / 10 + 0.1 * frame["layer"]
    frame["std_score"], frame["q"] = 0.05, 1.0
    frame["head_parameters"] = frame["head"].map({"linear": 65, "mlp1": 2113})
    return frame


@pytest.mark.parametrize(
    "name", ["embedding_size", "embedding_size_per_task", "probe_depth", "probe_depth_per_task"]
)
def test_ablation_figures_render(name, tmp_path):
    import matplotlib.pyplot as plt

    from eobench.plots.ablations import ablation_figure, plot_ablation

    summary = _ablation_summary()
    if name.startswith("probe_depth"):
        summary = summary[(summary["size"] == 64) & (summary["layer"] == 0)]
    else:
        summary = summary[(summary["head"] == "linear") & (summary["layer"] == 0)]
    figure, _ = ablation_figure(name, summary)
    axes = [ax for ax in figure.axes if ax.get_visible()]
    if name == "embedding_size":
        assert [line.get_label() for line in axes[0].get_lines()] == ["rcf", "vit"]
        np.testing.assert_allclose(axes[0].get_lines()[0].get_ydata(), [0.4, 0.6, 0.8])
    elif name == "probe_depth":
        labels = axes[0].get_legend_handles_labels()[1]
        assert labels == ["linear (65 params)", "mlp1 (2,113 params)"]
    else:
        assert len(axes) == 2  # one panel per task
    plt.close(figure)
    plot_ablation(name, summary, tmp_path / "f.pdf", tmp_path / "f.png", {"dpi": 50})
    assert (tmp_path / "f.pdf").stat().st_size > 0 and (tmp_path / "f.png").stat().st_size > 0


def test_ablation_figure_errors_name_the_setting(tmp_path):
    from eobench.plots.ablations import plot_ablation

    with pytest.raises(EobenchError, match=r"figures\.layers"):
        plot_ablation("layers", _ablation_summary().drop(columns="layer"), "x.pdf", "x.png")
    with pytest.raises(EobenchError, match=r"figures\.probe_depth: unknown setting 'colour'"):
        plot_ablation("probe_depth", _ablation_summary(), "x.pdf", "x.png", {"colour": 1})
