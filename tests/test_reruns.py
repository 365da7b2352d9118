"""A change reruns exactly what it touches: every key of config/README.md, one at a time.

Each case changes one key of the tiny configuration (an overlay given with
``--configfile``) on top of a finished tiny run and compares the jobs a dry run plans with
the jobs that read the key, directly or through their inputs. A key the README documents
without a case here fails the coverage test, so a new key arrives with its expectation.
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import REPO
from test_workflow import planned_jobs, with_report_jobs

# -- the job sets of the tiny DAG (9 main tables, 6 more probe-depth runs, 3 sizes) -------

FIGURES_OF_SCORES = {"figure_q_per_task": 1, "figure_radar": 1}
TABLES_OF_SCORES = {
    "table_leaderboard": 1,
    "table_leaderboard_intervals": 1,
    "table_task_scores": 1,
}
#: The notebooks that read the main scores.
NOTEBOOKS_OF_SCORES = {"notebook_neuco_leaderboard": 1, "notebook_neuco_task_scores": 1}
SCORES = {
    "score_methods": 1,
    "leaderboard_statistics": 1,
    **TABLES_OF_SCORES,
    **NOTEBOOKS_OF_SCORES,
}
ABLATION_TABLES = {"table_probe_depth": 1, "table_converged_gap": 1}
#: Everything that reads probe scores of the main tables and both probe ablations.
AFTER_PROBES = {
    **SCORES,
    **FIGURES_OF_SCORES,
    **ABLATION_TABLES,
    "summarise_ablation": 2,
    "figure_ablation": 4,
    "table_claims": 1,
}
#: The probe-depth ablation's own outputs (one head changed: its runs on 2 encoders).
AFTER_DEPTH = {
    "summarise_ablation": 1,
    "figure_ablation": 2,
    "table_claims": 1,
    **ABLATION_TABLES,
}
CHALLENGE = {"challenge_leaderboard": 2, "figure_rank_evolution": 2}
DEMO = {"challenge_demo_submissions": 1, **CHALLENGE}
RUNTIME = {"runtime_scaling": 1, "table_runtime_scaling": 1, "figure_runtime_scaling": 1}
#: Every probe-derived job after new embedding tables (every table of the DAG).
AFTER_EXTRACTION = {
    "compare_embeddings": 1,
    "extract_embeddings": 9,
    "extract_native_embeddings": 1,
    "reduce_embeddings": 1,
    "export_submission": 6,
    "probe_embeddings": 18,
    **AFTER_PROBES,
    **DEMO,
}
AFTER_DATASET = {
    "synthesize_dataset": 1,
    "figure_channel_correlation": 1,
    "figure_sample_map": 1,
    "figure_task_samples": 1,
    "notebook_data": 1,
    **AFTER_EXTRACTION,
}
#: The tiny adaptation grid (tests/configs/tiny.yaml): FT on 2 subsets and JT, 2 seeds;
#: TTT-MMR and TTT-MMR-Geo from each JT; then everything that reads the metrics.
ADAPTATION_OUTPUTS = {
    "adaptation_metrics": 1,
    "table_adaptation": 2,
    "table_adaptation_per_task": 2,
    "figure_low_shot": 1,
    "figure_geographic_shift": 1,
    "table_claims": 1,
}
ADAPTATION_TTT = {"test_time_train": 4, **ADAPTATION_OUTPUTS}
ADAPTATION_RUNS = {"adapt": 6, **ADAPTATION_TTT}
ADAPTATION_DATA = {"synthesize_dataset": 1, "write_splits": 1, **ADAPTATION_RUNS}

#: The tiny pretraining (tests/configs/tiny.yaml): mae, mpmae, geomeld and the ConvNeXt-V2
#: twin, each evaluated; then the tables, the curves figure and the claims.
PRETRAINING_OUTPUTS = {
    "pretraining_results": 1,
    "table_pretraining": 2,
    "figure_pretraining_curves": 1,
    "table_claims": 1,
}


def pretraining_runs(trained: int, evaluated: int) -> dict[str, int]:
    """``trained`` pretrain jobs, ``evaluated`` evaluations, and what reads them."""
    return {"pretrain": trained, "evaluate_pretrained": evaluated, **PRETRAINING_OUTPUTS}


#: Probe runs of gradient-trained heads: linear (9 main, 3 sizes) and mlp1 (2).
TRAINED = {"probe_embeddings": 14}
#: Probe runs that take probe.k_splits: all but mlp1 and converged, which have their own K.
SECTION_K = {"probe_embeddings": 14}


def job(**jobs: int) -> dict[str, int]:
    return dict(jobs)


#: key -> (overlay YAML, the jobs it must plan besides `all`)
CASES: dict[str, tuple[str, dict[str, int]]] = {
    # top level
    "seed": (
        "seed: 7",
        # averaging and the oracle do not draw from the seed but receive it (see the note)
        {**AFTER_EXTRACTION, **RUNTIME},
    ),
    "dataset": (
        "dataset: synth_other\n"
        "datasets:\n  synth_other: {source: synthetic, n_samples: 240, size: 16, seed: 3}",
        {**AFTER_DATASET, **RUNTIME},
    ),
    "datasets": ("datasets:\n  synth_tiny: {seed: 4}", AFTER_DATASET),
    "tasks": (
        "tasks: [biomass_mean, landcover_forest, nodata]",
        {"probe_embeddings": 18, **AFTER_PROBES},
    ),
    "embedding_dim": (
        "embedding_dim: 512",
        {  # the size ablation's tables keep their own widths
            "compare_embeddings": 1,
            "extract_embeddings": 9,
            "export_submission": 6,
            "probe_embeddings": 15,
            **SCORES,
            **FIGURES_OF_SCORES,
            **ABLATION_TABLES,
            "summarise_ablation": 1,
            "figure_ablation": 2,
            "table_claims": 1,
            **DEMO,
        },
    ),
    "aggregations": (
        "aggregations: [post]",
        {"compare_embeddings": 1, **SCORES, **FIGURES_OF_SCORES, "table_claims": 1, **DEMO},
    ),
    "encoders": (
        "encoders:\n  rcf: {type: rcf, kernel_size: 5}",
        {
            "compare_embeddings": 1,
            "extract_embeddings": 2,
            "extract_native_embeddings": 1,
            "reduce_embeddings": 1,
            "export_submission": 2,
            "probe_embeddings": 8,
            **AFTER_PROBES,
            **DEMO,
        },
    ),
    "selected_encoders": (
        "selected_encoders: [averaging, random, rcf]",
        {"compare_embeddings": 1, **SCORES, **FIGURES_OF_SCORES, "table_claims": 1},
    ),
    # datasets.<name>
    "datasets.source": ("datasets:\n  synth_tiny: {source: synthetic}", {}),  # one source yet
    "datasets.n_samples": ("datasets:\n  synth_tiny: {n_samples: 200}", AFTER_DATASET),
    "datasets.size": ("datasets:\n  synth_tiny: {size: 24}", AFTER_DATASET),
    "datasets.seed": ("datasets:\n  synth_tiny: {seed: 4}", AFTER_DATASET),
    "datasets.cloud_probability": (
        "datasets:\n  synth_tiny: {cloud_probability: 0.5}",
        AFTER_DATASET,
    ),
    "datasets.nodata_probability": (
        "datasets:\n  synth_tiny: {nodata_probability: 0.2}",
        AFTER_DATASET,
    ),
    # extraction: both are read by every extraction job
    "extraction.batch_size": ("extraction: {batch_size: 16}", AFTER_EXTRACTION),
    "extraction.device": ("extraction: {device: cpu}", AFTER_EXTRACTION),
    # probe
    "probe.protocols": (
        "probe: {protocols: [neuco, strict]}",
        {"probe_embeddings": 9, **SCORES, **FIGURES_OF_SCORES},
    ),
    "probe.k_splits": ("probe: {k_splits: 6}", {**SECTION_K, **AFTER_PROBES}),
    "probe.test_size": (
        "probe: {test_size: 0.2}",
        {"probe_embeddings": 18, **AFTER_PROBES, **CHALLENGE},
    ),
    # neuco runs have no validation part; the converged head always has one
    "probe.validation_size": (
        "probe: {validation_size: 0.25}",
        {"probe_embeddings": 2, **AFTER_DEPTH},
    ),
    "probe.epochs": ("probe: {epochs: 7}", {**TRAINED, **AFTER_PROBES, **CHALLENGE}),
    "probe.batch_size": (
        "probe: {batch_size: 32}",
        {**TRAINED, **AFTER_PROBES, **CHALLENGE, **RUNTIME},
    ),
    "probe.learning_rate": (
        "probe: {learning_rate: 0.002}",
        {**TRAINED, **AFTER_PROBES, **CHALLENGE, **RUNTIME},
    ),
    "probe.weight_decay": (
        "probe: {weight_decay: 0.02}",
        {**TRAINED, **AFTER_PROBES, **CHALLENGE, **RUNTIME},
    ),
    "probe.minibatches": (
        "probe: {minibatches: per_split}",
        {**TRAINED, **AFTER_PROBES, **CHALLENGE, **RUNTIME},
    ),
    # the challenge has its own split seed
    "probe.split_seed": ("probe: {split_seed: 1}", {"probe_embeddings": 18, **AFTER_PROBES}),
    "probe.standardize_embeddings": (
        "probe: {standardize_embeddings: false}",
        {"probe_embeddings": 18, **AFTER_PROBES, **CHALLENGE},
    ),
    "probe.normalize_labels": (
        "probe: {normalize_labels: false}",
        {"probe_embeddings": 18, **AFTER_PROBES, **CHALLENGE},
    ),
    "probe.device": (
        "probe: {device: cpu}",
        {"probe_embeddings": 18, **AFTER_PROBES, **CHALLENGE, **RUNTIME},
    ),
    "probe.enable_plots": ("probe: {enable_plots: true}", {"figure_probe_diagnostics": 9}),
    # probe_heads.<name>: that head's runs on the two probe-depth encoders
    "probe_heads.type": (
        "probe_heads:\n  mlp1: {type: knn}",
        {"probe_embeddings": 2, **AFTER_DEPTH},
    ),
    "probe_heads.hidden_layers": (
        "probe_heads:\n  mlp1: {type: mlp, hidden_layers: [16]}",
        {"probe_embeddings": 2, **AFTER_DEPTH},
    ),
    "probe_heads.n_neighbors": (
        "probe_heads:\n  knn: {type: knn, n_neighbors: 3}",
        {"probe_embeddings": 2, **AFTER_DEPTH},
    ),
    "probe_heads.k_splits": (
        "probe_heads:\n  mlp1: {type: mlp, hidden_layers: [32], k_splits: 3}",
        {"probe_embeddings": 2, **AFTER_DEPTH},
    ),
    "probe_heads.max_iter": (
        "probe_heads:\n  converged: {type: converged, max_iter: 20}",
        {"probe_embeddings": 2, **AFTER_DEPTH},
    ),
    "probe_heads.probe_params": (
        "probe_heads:\n  svm:\n    type: svm\n"
        "    probe_params: {C_start_end: [0.1, 10], kernel_degree_list: [2]}\n"
        "ablations:\n  probe_depth: {heads: [linear, mlp1, knn, converged, svm]}",
        {"probe_embeddings": 2, **AFTER_DEPTH},
    ),
    # ablations
    "ablations.protocol": (
        "ablations: {protocol: strict}",
        {"probe_embeddings": 11, **AFTER_DEPTH, "summarise_ablation": 2, "figure_ablation": 4},
    ),
    "ablations.aggregation": (
        "ablations: {aggregation: pre}",
        {
            "extract_native_embeddings": 1,
            "reduce_embeddings": 1,
            "probe_embeddings": 9,
            **AFTER_DEPTH,
            "summarise_ablation": 2,
            "figure_ablation": 4,
        },
    ),
    "ablations.probe_depth.heads": (
        "ablations:\n  probe_depth: {heads: [linear, knn]}",
        AFTER_DEPTH,
    ),
    "ablations.probe_depth.encoders": (
        "ablations:\n  probe_depth: {encoders: [rcf]}",
        AFTER_DEPTH,
    ),
    # the reduction job writes every size: a new list rewrites the sizes it keeps
    "ablations.embedding_size.sizes": (
        "ablations:\n  embedding_size: {sizes: [16, 64]}",
        job(
            reduce_embeddings=1,
            probe_embeddings=2,
            summarise_ablation=1,
            figure_ablation=2,
            table_claims=1,
        ),
    ),
    "ablations.embedding_size.encoders": (
        "ablations:\n  embedding_size:\n"
        "    encoders: [{encoder: rcf, recipe: cnn, native_dim: 128}]",
        job(
            extract_native_embeddings=1,
            reduce_embeddings=1,
            probe_embeddings=3,
            summarise_ablation=1,
            figure_ablation=2,
            table_claims=1,
        ),
    ),
    "ablations.layers.encoders": (
        "selected_encoders: [averaging, random, rcf, oracle, patch_transformer]\n"
        "ablations:\n  layers: {encoders: [patch_transformer]}",
        {  # a new encoder: its two tables, its five layers, the tables that list it
            "compare_embeddings": 1,
            "extract_embeddings": 2,
            "extract_layer_embeddings": 5,
            "probe_embeddings": 7,
            **SCORES,
            **FIGURES_OF_SCORES,
            "summarise_ablation": 1,
            "figure_ablation": 1,
            "table_claims": 1,
        },
    ),
    "ablations.runtime_scaling.n_samples": (
        "ablations:\n  runtime_scaling: {n_samples: 150}",
        RUNTIME,
    ),
    "ablations.runtime_scaling.embedding_dims": (
        "ablations:\n  runtime_scaling: {embedding_dims: [32]}",
        RUNTIME,
    ),
    "ablations.runtime_scaling.epochs": ("ablations:\n  runtime_scaling: {epochs: [3]}", RUNTIME),
    "ablations.runtime_scaling.k_splits": (
        "ablations:\n  runtime_scaling: {k_splits: [4]}",
        RUNTIME,
    ),
    "ablations.runtime_scaling.repeats": (
        "ablations:\n  runtime_scaling: {repeats: 2}",
        RUNTIME,
    ),
    # challenge
    "challenge.submissions_dir": ("challenge: {submissions_dir: other_submissions}", CHALLENGE),
    "challenge.annotation_path": ("challenge: {annotation_path: other_labels}", CHALLENGE),
    "challenge.phases": ("challenge: {phases: [development]}", {}),
    "challenge.dev_tasks": (
        "challenge: {dev_tasks: [biomass_mean, nodata]}",
        job(challenge_leaderboard=1, figure_rank_evolution=1),
    ),
    "challenge.development": (
        "challenge:\n  development: {k_splits: 6}",
        job(challenge_leaderboard=1, figure_rank_evolution=1),
    ),
    "challenge.evaluation": (
        "challenge:\n  evaluation: {k_splits: 12}",
        job(challenge_leaderboard=1, figure_rank_evolution=1),
    ),
    "challenge.split_seed": ("challenge: {split_seed: 7}", CHALLENGE),
    "challenge.protocol": ("challenge: {protocol: strict}", CHALLENGE),
    "challenge.demo": ("challenge:\n  demo: {teams: [random, rcf]}", DEMO),
    # scoring, statistics
    "scoring.epsilon": ("scoring: {epsilon: 0.05}", {**AFTER_PROBES, **CHALLENGE}),
    "scoring.tie_tolerance": (
        "scoring: {tie_tolerance: 0.5}",
        {**SCORES, **FIGURES_OF_SCORES, "table_claims": 1},
    ),
    "scoring.identical_tolerance": (
        "scoring: {identical_tolerance: 0.01}",
        {"compare_embeddings": 1, **SCORES, **FIGURES_OF_SCORES, "table_claims": 1},
    ),
    "statistics.n_bootstrap": (
        "statistics: {n_bootstrap: 500}",
        job(
            leaderboard_statistics=1,
            table_leaderboard_intervals=1,
            table_claims=1,
            notebook_neuco_leaderboard=1,
        ),
    ),
    "statistics.level": (
        "statistics: {level: 0.9}",
        job(
            leaderboard_statistics=1,
            table_leaderboard_intervals=1,
            table_claims=1,
            notebook_neuco_leaderboard=1,
        ),
    ),
    "statistics.baselines": (
        "statistics: {baselines: []}",
        job(
            leaderboard_statistics=1,
            table_leaderboard_intervals=1,
            table_claims=1,
            notebook_neuco_leaderboard=1,
        ),
    ),
    # tables and figures: that output alone; the claims quote scores as these two print them
    "tables.task_scores": (
        "tables:\n  task_scores: {decimals: 3}",
        job(table_task_scores=1, table_claims=1),
    ),
    "tables.leaderboard": (
        "tables:\n  leaderboard: {decimals: 3}",
        job(table_leaderboard=1, table_claims=1),
    ),
    "tables.leaderboard_intervals": (
        "tables:\n  leaderboard_intervals: {label: 'tab:x'}",
        job(table_leaderboard_intervals=1),
    ),
    "tables.probe_depth": ("tables:\n  probe_depth: {label: 'tab:x'}", job(table_probe_depth=1)),
    "tables.converged_gap": (
        "tables:\n  converged_gap: {label: 'tab:x'}",
        job(table_converged_gap=1),
    ),
    "tables.runtime_scaling": (
        "tables:\n  runtime_scaling: {label: 'tab:x'}",
        job(table_runtime_scaling=1),
    ),
    "tables.claims": ("tables:\n  claims: {label: 'tab:x'}", job(table_claims=1)),
    "figures.radar": ("figures:\n  radar: {clip_min: -0.5}", job(figure_radar=1)),
    "figures.q_per_task": (
        "figures:\n  q_per_task: {show_weights: false}",
        job(figure_q_per_task=1),
    ),
    "figures.embedding_size": ("figures:\n  embedding_size: {title: S}", job(figure_ablation=1)),
    "figures.embedding_size_per_task": (
        "figures:\n  embedding_size_per_task: {title: S}",
        job(figure_ablation=1),
    ),
    "figures.probe_depth": ("figures:\n  probe_depth: {title: D}", job(figure_ablation=1)),
    "figures.probe_depth_per_task": (
        "figures:\n  probe_depth_per_task: {title: D}",
        job(figure_ablation=1),
    ),
    "figures.layers": ("figures:\n  layers: {title: L}", {}),  # no layer ablation in tiny
    "figures.channel_correlation": (
        "figures:\n  channel_correlation: {annotate: false}",
        job(figure_channel_correlation=1),
    ),
    "figures.task_samples": (
        "figures:\n  task_samples: {examples_per_task: 2}",
        job(figure_task_samples=1),
    ),
    "figures.probe_diagnostics": (
        "probe: {enable_plots: true}\nfigures:\n  probe_diagnostics: {dpi: 50}",
        job(figure_probe_diagnostics=9),
    ),
    "figures.rank_evolution": (
        "figures:\n  rank_evolution: {dpi: 50}",
        job(figure_rank_evolution=2),
    ),
    "figures.sample_map": ("figures:\n  sample_map: {marker_size: 3}", job(figure_sample_map=1)),
    "figures.runtime_scaling": (
        "figures:\n  runtime_scaling: {dpi: 50}",
        job(figure_runtime_scaling=1),
    ),
    # notebooks: that notebook alone
    "notebooks.data.examples": ("notebooks:\n  data: {examples: 2}", job(notebook_data=1)),
    # resources tag jobs for a scheduler; they change no result
    "resources.gpu": ("resources: {gpu: 1}", {}),
    "resources.container_image": ("resources: {container_image: 'docker://example.org/x:1'}", {}),
    # the tiny run selects no compressor: its training and Fig. 11 are not in its DAG
    "compression.training": ("compression:\n  training: {epochs: 2}", {}),
    "compression.rate_distortion": ("compression:\n  rate_distortion: {batch_size: 8}", {}),
    "figures.rate_distortion": ("figures:\n  rate_distortion: {dpi: 100}", {}),
    # where verified weights come from changes no result (and the tiny run has none)
    "weights.local_dirs": ("weights: {local_dirs: [elsewhere]}", {}),
    "weights.cache_dir": ("weights: {cache_dir: elsewhere}", {}),
    "weights.download": ("weights: {download: true}", {}),
    "weights.mirror": ("weights: {mirror: 'http://127.0.0.1:1/'}", {}),
    # one more macro: the paper folder alone
    "paper.macros": ("paper:\n  macros:\n    TheSeed: {config: seed}", {"paper_folder": 1}),
    # rule verify is not part of `all`
    "verify.outputs": ("verify:\n  outputs: [results/tables/synth_tiny/claims.csv]", {}),
    "verify.tolerance": ("verify: {tolerance: 1.0e-6}", {}),
    # adaptation: a key reruns the jobs that read it and what reads their metrics
    "datasets.families": (
        "datasets:\n  synth_tiny_mmearth: {families: [mmearth, biomass]}",
        # the tiny pretraining reads the same dataset
        {**ADAPTATION_DATA, **pretraining_runs(4, 4)},
    ),
    "adaptation.enabled": ("adaptation: {enabled: false}", job(table_claims=1)),
    "adaptation.dataset": (
        "datasets:\n  other_mmearth: {source: synthetic, n_samples: 120, size: 16, seed: 3,"
        " families: [mmearth]}\nadaptation: {dataset: other_mmearth}",
        ADAPTATION_DATA,
    ),
    "adaptation.split_seed": (
        "adaptation: {split_seed: 7}",
        # the tiny pretraining reads the same splits
        {"write_splits": 1, **ADAPTATION_RUNS, **pretraining_runs(4, 4)},
    ),
    "adaptation.tasks": (
        "adaptation: {tasks: [biomass]}",
        {**ADAPTATION_RUNS, "table_adaptation_per_task": 1},
    ),
    "adaptation.encoders": (
        "adaptation:\n  encoders:\n    vit: {type: vit, patch_size: 4, width: 16, depth: 1,"
        " heads: 2}",
        ADAPTATION_RUNS,
    ),
    "adaptation.selected_encoders": (
        "adaptation:\n  encoders:\n    vit2: {type: vit, patch_size: 4, width: 32, depth: 1,"
        " heads: 2}\n  selected_encoders: [vit, vit2]",
        ADAPTATION_RUNS,
    ),
    "adaptation.inputs": (
        "adaptation:\n  inputs:\n    s2: {sentinel2: [B02, B03, B04, B08]}",
        ADAPTATION_RUNS,
    ),
    "adaptation.reconstruct": (
        "adaptation: {reconstruct: [sentinel2, sentinel1, elevation]}",
        {"adapt": 2, **ADAPTATION_TTT},
    ),
    "adaptation.seeds": ("adaptation: {seeds: [41]}", ADAPTATION_OUTPUTS),
    "adaptation.grid": (
        "adaptation:\n  grid:\n    - {modes: [FT], inputs: [s2], subsets: [train_100, train_5]}"
        "\n    - {modes: [LP, JT, JT-TTT, JT-TTT-Geo], inputs: [s2], subsets: [train_100]}",
        {"adapt": 2, **ADAPTATION_OUTPUTS},
    ),
    "adaptation.training": ("adaptation:\n  training: {epochs: 1}", ADAPTATION_RUNS),
    "adaptation.ttt": ("adaptation:\n  ttt: {max_steps: 2}", ADAPTATION_TTT),
    "adaptation.device": ("adaptation: {device: cpu}", ADAPTATION_RUNS),
    "tables.adaptation_ttt": (
        "tables:\n  adaptation_ttt: {label: 'tab:x'}",
        job(table_adaptation=1),
    ),
    "tables.adaptation_low_shot": (
        "tables:\n  adaptation_low_shot: {label: 'tab:x'}",
        job(table_adaptation=1),
    ),
    "tables.adaptation_per_task": (
        "tables:\n  adaptation_per_task: {label: 'tab:x'}",
        job(table_adaptation_per_task=2),
    ),
    "figures.low_shot": ("figures:\n  low_shot: {dpi: 100}", job(figure_low_shot=1)),
    # pretraining: a key reruns the methods that read it, their evaluations and what follows
    "pretraining.enabled": ("pretraining: {enabled: false}", job(table_claims=1)),
    "pretraining.dataset": (
        "datasets:\n  other_mmearth: {source: synthetic, n_samples: 120, size: 16, seed: 3,"
        " families: [mmearth]}\npretraining: {dataset: other_mmearth}",
        {"synthesize_dataset": 1, "write_splits": 1, **pretraining_runs(4, 4)},
    ),
    "pretraining.seeds": ("pretraining: {seeds: [7]}", pretraining_runs(4, 4)),
    "pretraining.backbones": (
        "pretraining:\n  backbones:\n    convnextv2: {width: 24}",
        pretraining_runs(3, 3),
    ),
    "pretraining.methods": (
        "pretraining:\n  methods:\n    mae: {backbone: convnextv2}",
        pretraining_runs(1, 1),
    ),
    "pretraining.selected_methods": (
        "pretraining: {selected_methods: [mae, mpmae, geomeld, random_convnextv2, jepa]}",
        pretraining_runs(1, 1),
    ),
    "pretraining.ablation": ("pretraining: {ablation: [geomeld]}", job(table_pretraining=1)),
    "pretraining.claims": ("pretraining:\n  claims: {mae: null}", job(table_claims=1)),
    "pretraining.reconstruct": (
        "pretraining: {reconstruct: [sentinel1, elevation]}",
        pretraining_runs(2, 2),
    ),
    "pretraining.objectives": (
        "pretraining:\n  objectives:\n    mae: {mask_ratio: 0.5}",
        pretraining_runs(3, 3),
    ),
    "pretraining.captions": ("pretraining:\n  captions: {noise: 0.1}", pretraining_runs(1, 1)),
    "pretraining.training": ("pretraining:\n  training: {epochs: 1}", pretraining_runs(3, 3)),
    "pretraining.probe": (
        "pretraining:\n  probe: {alphas: [1.0]}",
        {"evaluate_pretrained": 4, **PRETRAINING_OUTPUTS},
    ),
    "pretraining.retrieval": (
        "pretraining:\n  retrieval: {ks: [1, 5]}",
        {"evaluate_pretrained": 1, **PRETRAINING_OUTPUTS},
    ),
    "pretraining.device": ("pretraining: {device: cpu}", pretraining_runs(4, 4)),
    "tables.pretraining_ablation": (
        "tables:\n  pretraining_ablation: {label: 'tab:x'}",
        job(table_pretraining=1),
    ),
    "tables.pretraining_retrieval": (
        "tables:\n  pretraining_retrieval: {label: 'tab:x'}",
        job(table_pretraining=1),
    ),
    "figures.pretraining_curves": (
        "figures:\n  pretraining_curves: {dpi: 100}",
        job(figure_pretraining_curves=1),
    ),
    "figures.geographic_shift": (
        "figures:\n  geographic_shift: {dpi: 100}",
        job(figure_geographic_shift=1),
    ),
}

#: The run summary prints the leaderboards, the claims, a hash of the settings behind the
#: numbers and where every output is: it reruns after every change but these.
SUMMARY_UNCHANGED = {
    "datasets.source",
    "paper.macros",
    "figures.layers",
    "resources.gpu",
    "resources.container_image",
    "weights.local_dirs",
    "weights.cache_dir",
    "weights.download",
    "weights.mirror",
    "verify.outputs",
    "verify.tolerance",
    *(key for key in CASES if key.startswith("figures.") and key != "figures.probe_diagnostics"),
    *(key for key in CASES if key.startswith("notebooks.")),
    *(
        key
        for key in CASES
        if key.startswith("tables.")
        and key not in ("tables.task_scores", "tables.leaderboard", "tables.claims")
    ),
    # the challenge's phases are outputs the summary lists
    *(key for key in CASES if key.startswith("challenge.") and key != "challenge.phases"),
}


def expected_jobs(key: str) -> dict[str, int]:
    jobs = dict(CASES[key][1])
    if key not in SUMMARY_UNCHANGED:
        jobs["run_summary"] = 1
    return with_report_jobs(jobs)


#: Sections whose rows are not keys (the encoder types).
NOT_KEYS = ("encoders.<name>",)


def documented_keys(readme: Path) -> list[str]:
    """Every key named in the first column of config/README.md's tables, with its section."""
    keys, prefix = [], None
    for line in readme.read_text().splitlines():
        heading = re.match(r"^## (.+)$", line)
        if heading:
            sections = re.findall(r"`([^`]+)`", heading.group(1))
            if heading.group(1) == "Top level" or len(sections) != 1:
                prefix = ""
            else:
                prefix = None if sections[0] in NOT_KEYS else sections[0].replace(".<name>", "")
            continue
        row = re.match(r"^\| ((?:`[^`]+`(?:, )?)+) \|", line)
        if row and prefix is not None:
            for name in re.findall(r"`([^`]+)`", row.group(1)):
                keys.append(f"{prefix}.{name}" if prefix else name)
    return keys


def test_every_documented_key_has_a_case():
    keys = documented_keys(REPO / "config" / "README.md")
    assert len(keys) > 60
    missing = [key for key in keys if key not in CASES]
    assert not missing, f"config/README.md keys without a rerun case: {missing}"
    stale = [key for key in CASES if key not in keys]
    assert not stale, f"rerun cases of keys config/README.md does not document: {stale}"


@pytest.fixture(scope="module")
def planned(tiny_run, tmp_path_factory):
    """key -> the jobs a dry run plans after that key's change (two dry runs at a time)."""
    workdir, _ = tiny_run
    for source, copy in (
        ("results/challenge/demo/synth_tiny/submissions", "other_submissions"),
        ("results/data/synth_tiny/labels", "other_labels"),
    ):
        if not (workdir / copy).exists():
            shutil.copytree(workdir / source, workdir / copy)
    overlays = tmp_path_factory.mktemp("overlays")

    def plan(key: str) -> tuple[str, dict[str, int]]:
        overlay = overlays / f"{key}.yaml"
        overlay.write_text(CASES[key][0] + "\n")
        jobs = planned_jobs(workdir, str(overlay))
        jobs.pop("all", None)
        return key, jobs

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(plan, CASES))


@pytest.mark.slow
@pytest.mark.parametrize("key", list(CASES))
def test_a_change_reruns_exactly_what_reads_it(planned, key):
    assert planned[key] == expected_jobs(key)
