# Config loading and checking, wildcard constraints, and the functions that list targets.
import hashlib
import json
import re
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

REPO_ROOT = Path(workflow.basedir)
# The library lives in this repository: importable here without installing it (rule
# scripts do the same through snakemake.scriptdir, whatever environment runs them).
sys.path.insert(0, str(REPO_ROOT))

from eobench.adaptation.config import check_adaptation
from eobench.config import check_config
from eobench.errors import EobenchError
from eobench.embeddings import table_columns
from eobench.notebooks import path_leaves
from eobench.probes.keys import probe_values
from eobench.report.macros import resolve_config_macros
from eobench.retrieval import resolve_weights

SCHEMA = REPO_ROOT / "config" / "schema" / "config.schema.yaml"
try:
    check_config(config, SCHEMA)
except EobenchError as error:
    sys.exit(f"error: {error}")
# Fills in the schema's defaults for keys the config leaves out.
validate(config, schema="../config/schema/config.schema.yaml")
try:  # needs the defaults filled in
    check_adaptation(config)
except EobenchError as error:
    sys.exit(f"error: {error}")

DATASET = config["dataset"]
#: Identifies the settings behind the numbers in the run summary: the checked config
#: (defaults filled in) without its presentation blocks (figures, tables, notebooks,
#: paper), challenge mode, the scheduler's resource tags, where weights are found
#: (verified files are the same files) and what rule verify checks, so that restyling a
#: table or figure or asking for a GPU does not rerun the summary.
CONFIG_HASH = hashlib.sha256(
    json.dumps(
        {
            k: v
            for k, v in config.items()
            if k
            not in (
                "figures",
                "tables",
                "notebooks",
                "paper",
                "challenge",
                "resources",
                "weights",
                "verify",
            )
        },
        sort_keys=True,
        default=str,
    ).encode()
).hexdigest()[:12]
#: Encoders the config asks for; those whose weights are nowhere are left out below.
REQUESTED_ENCODERS = config["selected_encoders"] or list(config["encoders"])
WEIGHTS_CACHE = config["weights"]["cache_dir"]


def encoder_weights(encoder):
    """Name of the weights registry entry of an encoder, or None."""
    return config["encoders"][encoder].get("weights")


def weights_found(encoder):
    """Whether extraction will find the encoder's weights: in a configured local folder,
    in the cache, or by download when weights.download allows it (a file whose checksum
    does not match is an error, not a miss)."""
    name = encoder_weights(encoder)
    if name is None or config["weights"]["download"]:
        return True
    try:
        return (
            resolve_weights(name, config["weights"]["local_dirs"], WEIGHTS_CACHE)
            is not None
        )
    except EobenchError as error:
        sys.exit(f"error: config key encoders.{encoder}.weights: {error}")


#: Requested encoders whose weights are nowhere (each verified once per planning).
WITHOUT_WEIGHTS = [e for e in REQUESTED_ENCODERS if not weights_found(e)]
for _encoder in WITHOUT_WEIGHTS:
    print(
        f"eobench: encoders.{_encoder} left out: weights {encoder_weights(_encoder)!r} "
        f"are in none of weights.local_dirs {config['weights']['local_dirs']} nor in "
        f"{WEIGHTS_CACHE}; set weights.download: true to download them",
        file=sys.stderr,
    )
SELECTED_ENCODERS = [e for e in REQUESTED_ENCODERS if e not in WITHOUT_WEIGHTS]
PROTOCOLS = config["probe"]["protocols"]
GPUS = config["resources"]["gpu"]
ABLATIONS = config["ablations"]
#: The paper's probe: the head of the main leaderboards and tables.
MAIN_HEAD = "linear"


wildcard_constraints:
    dataset=r"[A-Za-z0-9_-]+",
    encoder=r"[A-Za-z0-9_-]+",
    aggregation="pre|post|none",
    protocol="neuco|strict",
    head=r"[A-Za-z0-9_-]+",
    # An embedding table of an encoder: its aggregation, at the configured size, at a
    # size of the embedding-size ablation (_n<size>) or from one layer (_layer<layer>).
    table=r"(pre|post|none)(_n\d+|_layer\d+)?",
    size=r"\d+",
    layer=r"\d+",
    ablation="probe_depth|embedding_size|layers",


def weights_checksums(wildcards):
    """The verified weights of an encoder (rule retrieve_weights), or nothing."""
    name = encoder_weights(wildcards.encoder)
    return [f"{WEIGHTS_CACHE}/{name}/SHA256SUMS"] if name else []


def selected_weights():
    """Weights entries of the requested encoders (target all_weights)."""
    return list(dict.fromkeys(filter(None, map(encoder_weights, REQUESTED_ENCODERS))))


def pretrained_encoders():
    """Selected encoders that run pretrained weights (the claims about them)."""
    return [
        e
        for e in SELECTED_ENCODERS
        if encoder_weights(e) and config["encoders"][e].get("pretrained", True)
    ]


#: Checkpoints the DAG trains itself, by encoder type (the path of each).
TRAINED_CHECKPOINTS = {
    "compressor": "results/compressor/{dataset}/lambda{lmbda}.pt",
}


def lambda_label(value):
    """A compressor's lambda as file names write it (0.1, not 0.10)."""
    return f"{float(value):g}"


def trained_checkpoint(wildcards):
    """The checkpoint a rule trains for this encoder (compressor), or nothing."""
    spec = config["encoders"][wildcards.encoder]
    if spec["type"] == "pretrained_checkpoint":  # rule pretrain (rules/pretrain.smk)
        return [pretrained_checkpoint_file(spec)]
    path = TRAINED_CHECKPOINTS.get(spec["type"])
    if path is None:
        return []
    return [path.format(dataset=wildcards.dataset, lmbda=lambda_label(spec["lambda"]))]


def compressor_checkpoints(wildcards):
    """The checkpoint of every selected compressor lambda (Fig. 11)."""
    path = TRAINED_CHECKPOINTS["compressor"]
    return [
        path.format(dataset=wildcards.dataset, lmbda=lambda_label(value))
        for value in sorted(set(compressor_lambdas().values()))
    ]


def compressor_lambdas():
    """Selected compressor encoders -> their lambda (claims and Fig. 11)."""
    return {
        e: float(config["encoders"][e]["lambda"])
        for e in SELECTED_ENCODERS
        if config["encoders"][e]["type"] == "compressor"
    }


def dataset_config(wildcards):
    return config["datasets"][wildcards.dataset]


def aggregations_of(encoder):
    """Temporal aggregations an encoder runs with (its own list, else the global one)."""
    return config["encoders"][encoder].get("aggregations", config["aggregations"])


def methods():
    """(encoder, aggregation) pairs compared in the tables, in config order."""
    return [(e, a) for e in SELECTED_ENCODERS for a in aggregations_of(e)]


def probe_settings_of(wildcards):
    """The `probe` keys a run of this head under this protocol reads (no others)."""
    head = config["probe_heads"][wildcards.head]
    return probe_values(config["probe"], head, wildcards.protocol)


#: How embeddings and labels are prepared before probing (the evaluator's input rules).
PREPROCESSING = {
    key: config["probe"][key] for key in ("standardize_embeddings", "normalize_labels")
}


def probe_scores(dataset, protocol, head, encoder, table):
    return (
        f"results/probes/{dataset}/{protocol}/{head}/{encoder}/{table}/scores.parquet"
    )


def probe_score_files(wildcards):
    """Scores of the paper's probe on every method (the main leaderboard)."""
    return [
        probe_scores(wildcards.dataset, wildcards.protocol, MAIN_HEAD, e, a)
        for e, a in methods()
    ]


def task_references(wildcards):
    """Every task's ceiling and chance level: a synthetic dataset's tasks.csv, else the
    labels folder (chance levels computed from the labels, ceilings unknown)."""
    stem = f"results/data/{wildcards.dataset}"
    if config["datasets"][wildcards.dataset].get("source") == "synthetic":
        return f"{stem}/tasks.csv"
    return f"{stem}/labels"


def embedding_table_files(wildcards):
    """Embedding tables of every method of the main tables, in the order of methods()."""
    return [
        f"results/embeddings/{wildcards.dataset}/{e}/{a}.parquet" for e, a in methods()
    ]


def table_embedding_dim(wildcards):
    """Width of an embedding table: its ablation size, else the configured N."""
    size = table_columns(wildcards.table)["size"]
    return size if size is not None else config["embedding_dim"]


#: Encoders of the embedding-size ablation: name -> {recipe, native_dim}.
SIZE_ABLATION = {
    entry["encoder"]: entry for entry in ABLATIONS["embedding_size"]["encoders"]
}


def ablation_encoders(section):
    """Encoders of an ablation (null: the selected ones), less those without weights."""
    chosen = ABLATIONS[section]["encoders"]
    if chosen is None:
        return SELECTED_ENCODERS
    return [e for e in chosen if e not in WITHOUT_WEIGHTS]


def ablation_runs(ablation):
    """(head, encoder, table) probe runs of an ablation."""
    aggregation = ABLATIONS["aggregation"]
    if ablation == "probe_depth":
        return [
            (head, encoder, aggregation)
            for encoder in ablation_encoders("probe_depth")
            for head in ABLATIONS["probe_depth"]["heads"]
        ]
    if ablation == "embedding_size":
        return [
            (MAIN_HEAD, encoder, f"{aggregation}_n{size}")
            for encoder in SIZE_ABLATION
            for size in ABLATIONS["embedding_size"]["sizes"]
        ]
    return [
        (MAIN_HEAD, encoder, f"{aggregation}_layer{layer}")
        for encoder in ABLATIONS["layers"]["encoders"]
        for layer in range(config["encoders"][encoder].get("depth", 4) + 1)
    ]


def ablation_score_files(wildcards):
    return [
        probe_scores(wildcards.dataset, ABLATIONS["protocol"], head, encoder, table)
        for head, encoder, table in ablation_runs(wildcards.ablation)
    ]


def ablations_run():
    """Ablations with at least one run in this config."""
    return [
        name
        for name in ("probe_depth", "embedding_size", "layers")
        if ablation_runs(name)
    ]


#: The formats of every table (html: the report's view, made from the md).
TABLE_FORMATS = ("csv", "md", "html", "tex")


def table_targets():
    stem = f"results/tables/{DATASET}"
    targets = [f"{stem}/claims.{ext}" for ext in TABLE_FORMATS]
    targets += adaptation_table_targets()
    targets += pretraining_table_targets()
    targets += [f"{stem}/runtime_scaling.{ext}" for ext in TABLE_FORMATS]
    if "probe_depth" in ablations_run():
        targets += [
            f"{stem}/{name}.{ext}"
            for name in ("probe_depth", "converged_gap")
            for ext in TABLE_FORMATS
        ]
    for protocol in PROTOCOLS:
        stem = f"results/tables/{DATASET}/{protocol}"
        targets += [f"{stem}/task_scores.{ext}" for ext in TABLE_FORMATS]
        targets += [f"{stem}/leaderboard.{ext}" for ext in ("md", "html", "tex")]
        scores = f"results/scores/{DATASET}/{protocol}"
        targets += [f"{scores}/leaderboard.csv", f"{scores}/leaderboard.json"]
        targets += [
            f"{scores}/{name}.csv"
            for name in (
                "intervals",
                "paired_tests",
                "task_weights",
                "leaderboard_companion",
            )
        ]
        targets += [f"{stem}/leaderboard_intervals.{ext}" for ext in TABLE_FORMATS]
    return targets


def summary_target():
    """The one-page summary of the run, written last by rule run_summary."""
    return ["results/summary.md", "results/summary.html"]


def claims_inputs(wildcards):
    """The main protocol's scores and whichever ablations this config runs."""
    protocol = PROTOCOLS[0]
    scores = f"results/scores/{wildcards.dataset}/{protocol}"
    inputs = {
        "task_scores": f"{scores}/task_scores.csv",
        "leaderboard": f"{scores}/leaderboard.csv",
        "task_weights": f"{scores}/task_weights.csv",
    }
    for name in ("probe_depth", "embedding_size", "layers"):
        if name in ablations_run():
            inputs[name] = (
                f"results/ablations/{wildcards.dataset}/{name}/task_scores.csv"
            )
    if ADAPTATION_ENCODERS:  # the MMEarth-Bench findings join the table
        inputs["adaptation_metrics"] = (
            f"results/adaptation/{ADAPTATION['dataset']}/metrics.csv"
        )
    if PRETRAINING_METHODS:  # the pretraining findings join the table
        inputs["pretraining_evaluation"] = (
            f"results/pretraining/{PRETRAINING['dataset']}/evaluation.csv"
        )
    return inputs


def table_decimals():
    """Decimals of the tables whose numbers the claims quote (defaults filled in)."""
    from eobench.tables.render import (
        GENERIC_TABLE_SETTINGS,
        LEADERBOARD_SETTINGS,
        TASK_SCORE_SETTINGS,
    )

    tables = config["tables"]

    def chosen(block, key, spec):
        return (tables.get(block) or {}).get(key, spec[key][0])

    return {
        "task_scores": chosen("task_scores", "decimals", TASK_SCORE_SETTINGS),
        "leaderboard": chosen("leaderboard", "decimals", LEADERBOARD_SETTINGS),
        "weights": chosen("leaderboard", "weight_decimals", LEADERBOARD_SETTINGS),
        "probe_depth": chosen("probe_depth", "decimals", GENERIC_TABLE_SETTINGS),
        "converged_gap": chosen("converged_gap", "decimals", GENERIC_TABLE_SETTINGS),
    }


ABLATION_FIGURES = {
    "probe_depth": ["probe_depth", "probe_depth_per_task"],
    "embedding_size": ["embedding_size", "embedding_size_per_task"],
    "layers": ["layers"],
}


ABLATION_OF_FIGURE = {
    figure: name for name, figures in ABLATION_FIGURES.items() for figure in figures
}


def figure_targets():
    figures = [
        f"{protocol}/{figure}"
        for protocol in PROTOCOLS
        for figure in ("radar", "q_per_task")
    ]
    figures += [figure for name in ablations_run() for figure in ABLATION_FIGURES[name]]
    figures += ["channel_correlation", "task_samples", "sample_map", "runtime_scaling"]
    if compressor_lambdas():
        figures.append("rate_distortion")
    # Per-run diagnostics of the main tables' probes.
    if config["probe"]["enable_plots"]:
        figures += [
            f"{protocol}/diagnostics/{MAIN_HEAD}/{encoder}/{aggregation}"
            for protocol in PROTOCOLS
            for encoder, aggregation in methods()
        ]
    stem = f"results/figures/{DATASET}"
    targets = [f"{stem}/{figure}.{ext}" for figure in figures for ext in ("pdf", "png")]
    targets.append(f"{stem}/channel_correlation.csv")
    targets += adaptation_figure_targets()
    targets += pretraining_figure_targets()
    # Fig. 7: the rank evolution of every challenge phase.
    targets += [
        f"results/figures/challenge/{phase}/rank_evolution.{ext}"
        for phase in config["challenge"]["phases"]
        for ext in ("pdf", "png")
    ]
    return targets


# -- challenge mode -------------------------------------------------------------------

CHALLENGE = config["challenge"]


def challenge_demo_entries(dataset):
    """The demo challenge: every team (encoder) submits its tables round by round, all
    `pre` tables first, then all `post` ones, teams in config order."""
    teams = CHALLENGE["demo"]["teams"] or SELECTED_ENCODERS
    return [
        {
            "team": team,
            "source": f"results/submissions/{dataset}/{team}__{aggregation}.csv",
            "submission_file": f"{team}__{aggregation}.csv",
        }
        for aggregation in CHALLENGE["demo"]["aggregations"]
        for team in teams
        if aggregation in aggregations_of(team)
    ]


def challenge_submissions_dir():
    """The configured submissions folder, else the demo built from this run's embeddings."""
    return (
        CHALLENGE["submissions_dir"] or f"results/challenge/demo/{DATASET}/submissions"
    )


def challenge_annotation_dir():
    """The configured annotation folder, else the labels of the configured dataset."""
    return CHALLENGE["annotation_path"] or f"results/data/{DATASET}/labels"


def challenge_targets():
    targets = []
    for phase in CHALLENGE["phases"]:
        targets += [
            f"results/challenge/{phase}/{name}"
            for name in ("leaderboard_history.csv", "leaderboard.csv", "run.json")
        ]
        targets += [
            f"results/figures/challenge/{phase}/rank_evolution.{ext}"
            for ext in ("pdf", "png")
        ]
    return targets


def ablation_summary_of_figure(wildcards):
    """The ablation summary an ablation figure draws."""
    name = ABLATION_OF_FIGURE[wildcards.figure]
    return f"results/ablations/{wildcards.dataset}/{name}/task_scores.csv"


#: The figures' style registry order: every encoder of the config, selected or not.
ENCODER_ORDER = list(config["encoders"])


def ablation_figure_context(wildcards):
    """The config keys an ablation figure names: the ablations' protocol and aggregation,
    and native widths (size figures) or MLP widths (probe-depth figures)."""
    name = ABLATION_OF_FIGURE[wildcards.figure]
    context = {
        "protocol": ABLATIONS["protocol"],
        "aggregation": ABLATIONS["aggregation"],
    }
    if name == "embedding_size":
        context["native_dims"] = {e: s["native_dim"] for e, s in SIZE_ABLATION.items()}
    if name == "probe_depth":
        context["head_widths"] = {
            head: config["probe_heads"][head]["hidden_layers"]
            for head in ABLATIONS["probe_depth"]["heads"]
            if "hidden_layers" in config["probe_heads"][head]
        }
    return context


#: The report's top level: one category per suite (later suites add theirs).
SUITE = "NeuCo-Bench"


# -- exploration notebooks ----------------------------------------------------------
# A notebook is report/notebooks/<name>.ipynb plus an entry of NOTEBOOKS: its report
# category and the paths it reads (wildcards -> a dict of paths, lists and dicts of paths,
# injected as papermill parameters beside its settings). rules/notebooks.smk makes one
# rule `notebook_<name>` per entry.


def neuco_leaderboard_paths(wildcards):
    """The leaderboard, its intervals, paired tests, weights and companion, by protocol
    (scores, not the tables: restyling a table does not rerun the notebook)."""
    dataset = wildcards.dataset
    return {
        "protocols": {
            protocol: {
                "leaderboard": f"results/scores/{dataset}/{protocol}/leaderboard.csv",
                "intervals": f"results/scores/{dataset}/{protocol}/intervals.csv",
                "paired_tests": f"results/scores/{dataset}/{protocol}/paired_tests.csv",
                "task_weights": f"results/scores/{dataset}/{protocol}/task_weights.csv",
                "companion": f"results/scores/{dataset}/{protocol}/leaderboard_companion.csv",
            }
            for protocol in PROTOCOLS
        }
    }


def neuco_task_scores_paths(wildcards):
    """Task scores and every method's split scores, by protocol; ceilings, chance."""
    dataset = wildcards.dataset
    return {
        "references": task_references(wildcards),
        "protocols": {
            protocol: {
                "task_scores": f"results/scores/{dataset}/{protocol}/task_scores.csv",
                "split_scores": {
                    f"{e}/{a}": probe_scores(dataset, protocol, MAIN_HEAD, e, a)
                    for e, a in methods()
                },
            }
            for protocol in PROTOCOLS
        },
    }


def data_paths(wildcards):
    """The store, the samples table and the labels."""
    stem = f"results/data/{wildcards.dataset}"
    return {
        "cubes": f"{stem}/cubes.zarr",
        "samples": f"{stem}/samples.parquet",
        "labels": f"{stem}/labels",
    }


#: name -> report category (the suite), paths (wildcards -> paths) and settings.
NOTEBOOKS = {
    "neuco_leaderboard": {
        "suite": SUITE,
        "paths": neuco_leaderboard_paths,
        "settings": {"level": config["statistics"]["level"]},
    },
    "neuco_task_scores": {
        "suite": SUITE,
        "paths": neuco_task_scores_paths,
        "settings": {"encoders": ENCODER_ORDER},
    },
    "data": {
        "suite": SUITE,
        "paths": data_paths,
        "settings": config["notebooks"]["data"],
    },
}


def notebook_parameters(name):
    """wildcards -> the papermill parameters of notebook `name`: the dataset, the paths
    it reads and its settings."""

    def parameters(wildcards):
        spec = NOTEBOOKS[name]
        paths = spec["paths"](wildcards)
        return {"dataset": wildcards.dataset, **paths, **spec["settings"]}

    return parameters


def notebook_inputs(name):
    """wildcards -> every path notebook `name` reads (its rule's inputs)."""

    def inputs(wildcards):
        return list(path_leaves(NOTEBOOKS[name]["paths"](wildcards)))

    return inputs


def notebook_targets():
    """Every notebook of NOTEBOOKS, executed (.ipynb) and rendered (.html)."""
    return [
        f"results/notebooks/{DATASET}/{name}.{ext}"
        for name in NOTEBOOKS
        for ext in ("ipynb", "html")
    ]


def report_outputs():
    """Print where the tables, figures and notebooks of this run landed."""
    targets = summary_target() + table_targets() + figure_targets() + notebook_targets()
    produced = [t for t in targets if Path(t).exists()]
    if produced:
        print("\neobench outputs:", *(f"  {p}" for p in produced), sep="\n")


# -- the report (snakemake --report), the run page and the paper folder ---------------


def in_report(path, caption, subcategory, category=SUITE, **labels):
    """``path`` marked for ``snakemake --report``: its caption from report/captions/, the
    suite as category, the stage as subcategory and labels naming the result."""
    return report(
        path,
        caption=f"../report/captions/{caption}.rst",
        category=category,
        subcategory=subcategory,
        labels={"result": caption.replace("_", " "), **labels},
    )


#: CSV results the report shows as HTML pages (made by csv_page); the stage of each and
#: where it lives; its caption is report/captions/pages/<name>.rst.
CSV_PAGES = {
    "paired_tests": ("Leaderboards", "scores/{dataset}/{protocol}/paired_tests"),
    "task_weights": ("Leaderboards", "scores/{dataset}/{protocol}/task_weights"),
    "leaderboard_companion": (
        "Leaderboards",
        "scores/{dataset}/{protocol}/leaderboard_companion",
    ),
    "identical": ("Embeddings", "embeddings/{dataset}/identical"),
    "rate_distortion": ("Compression", "ablations/{dataset}/rate_distortion"),
    "channel_correlation": ("Data", "figures/{dataset}/channel_correlation"),
    "leaderboard_history": ("Challenge", "challenge/{phase}/leaderboard_history"),
    "leaderboard": ("Challenge", "challenge/{phase}/leaderboard"),
    "metrics": ("Runs", "adaptation/{dataset}/metrics"),  # the adaptation suite's
}


def csv_page_category(wildcards):
    """The suite of a CSV page: the adaptation suite's metrics, else the NeuCo suite."""
    return ADAPTATION_SUITE if wildcards.path.startswith("adaptation/") else SUITE


#: The page paths of csv_page (each CSV_PAGES pattern; a placeholder is any folder).
CSV_PAGE_PATHS = "|".join(
    re.sub(r"\{\w+\}", "[^/]+", pattern) for _, pattern in CSV_PAGES.values()
)


def csv_page_name(path):
    """The CSV_PAGES entry of a page path (its file name)."""
    name = Path(path).name
    if name not in CSV_PAGES:
        raise ValueError(f"no CSV_PAGES entry for results/{path}.csv")
    return name


def csv_page_labels(wildcards):
    """The report labels of a CSV page: its name, and its protocol or phase."""
    name = csv_page_name(wildcards.path)
    pattern = CSV_PAGES[name][1]
    labels = {"result": name.replace("_", " ")}
    for position, part in enumerate(pattern.split("/")):
        if part in ("{protocol}", "{phase}"):
            labels[part.strip("{}")] = wildcards.path.split("/")[position]
    return labels


def csv_page_caption(wildcards):
    """The caption of a CSV page, from report/captions/pages/<name>.rst."""
    name = csv_page_name(wildcards.path)
    return (REPO_ROOT / "report" / "captions" / "pages" / f"{name}.rst").read_text()


def csv_page_targets():
    """The HTML pages of this run's CSV results."""
    pages = []
    for name, (_, pattern) in CSV_PAGES.items():
        if name == "rate_distortion" and not compressor_lambdas():
            continue
        if name == "metrics":
            if ADAPTATION_ENCODERS:
                pages.append(pattern.format(dataset=ADAPTATION["dataset"]))
            continue
        if "{phase}" in pattern:
            pages += [pattern.format(phase=p) for p in CHALLENGE["phases"]]
        elif "{protocol}" in pattern:
            pages += [pattern.format(dataset=DATASET, protocol=p) for p in PROTOCOLS]
        else:
            pages.append(pattern.format(dataset=DATASET))
    return [f"results/report/pages/{page}.html" for page in pages]


def rule_stages():
    """Each rule's stage: the rules/ file that defines it (the run page's grouping)."""
    return {each.name: Path(each.snakefile).stem for each in workflow.rules}


def run_targets():
    """Every output of target all but the run page, which comes last (it times them)."""
    return (
        table_targets()
        + summary_target()
        + figure_targets()
        + challenge_targets()
        + notebook_targets()
        + csv_page_targets()
        + paper_targets()
    )


def paper_sources():
    """Every table (.tex) and figure (PDF) of the run and its place in results/paper/
    (the dataset's folder level dropped: a paper reports one dataset)."""
    tables = [t for t in table_targets() if t.endswith(".tex")]
    figures = [f for f in figure_targets() if f.endswith(".pdf")]
    places = {}
    for source in tables + figures:
        kind, rest = (
            Path(source).relative_to("results").parts[0],
            Path(source).parts[2:],
        )
        if rest[0] == DATASET:
            rest = rest[1:]
        places[source] = str(Path("results/paper", kind, *rest))
    return places


def paper_macros():
    """The config's paper.macros with {dataset} and the values of config keys filled in."""
    try:
        macros = resolve_config_macros(config["paper"]["macros"], config)
    except EobenchError as error:
        sys.exit(f"error: {error}")
    for spec in macros.values():
        if "file" in spec:
            spec["file"] = spec["file"].format(dataset=DATASET)
    return macros


def paper_macro_files():
    """The CSV results the macros read (each must be an output of this run)."""
    outputs = set(table_targets() + figure_targets() + challenge_targets())
    files = set()
    for name, spec in paper_macros().items():
        if "file" not in spec:
            continue
        path = f"results/{spec['file']}"
        if path not in outputs:
            sys.exit(
                f"error: config key paper.macros.{name}.file: {path} is not a table or "
                "figure output of this run"
            )
        files.add(path)
    return sorted(files)


def paper_targets():
    """The paper folder: tables, figures, macros and their contents file."""
    return list(paper_sources().values()) + [
        "results/paper/macros.tex",
        "results/paper/contents.tex",
    ]


# -- checking a run (rules/verify.smk) ------------------------------------------------


def provenance_targets():
    """Every output of `all` but the run page, each once: the manifest's rows."""
    return list(dict.fromkeys(run_targets()))


def snakemake_call():
    """How the provenance and verify scripts call Snakemake on this workflow again: the
    interpreter running this Snakemake and its Snakefile (the config goes separately).
    """
    return {"python": sys.executable, "snakefile": workflow.main_snakefile}


def software_deployment():
    """The run's software deployment methods (`conda`), for the recomputation."""
    methods = workflow.deployment_settings.deployment_method
    return sorted(method.item_to_choice() for method in methods)


def checked_verify_outputs():
    """verify.outputs with `{dataset}` filled in; each must be an output of a rule."""
    producible = [pattern for rule in workflow.rules for pattern in rule.output]
    outputs = []
    for path in config["verify"]["outputs"]:
        try:
            filled = path.format(dataset=DATASET)
        except (KeyError, IndexError, ValueError):
            sys.exit(
                f"error: config key verify.outputs: {path!r}: "
                "the only placeholder is {dataset}"
            )
        if not any(pattern.match(filled) for pattern in producible):
            sys.exit(f"error: config key verify.outputs: no rule makes {filled}")
        outputs.append(filled)
    return outputs


# -- adaptation (MMEarth-Bench) -------------------------------------------------------

ADAPTATION = config["adaptation"]
ADAPTATION_SUITE = "MMEarth-Bench"


def adaptation_weights_found(encoder):
    """Whether an adaptation backbone's weights are found (as encoders' weights)."""
    name = ADAPTATION["encoders"][encoder].get("weights")
    if name is None or config["weights"]["download"]:
        return True
    return (
        resolve_weights(name, config["weights"]["local_dirs"], WEIGHTS_CACHE)
        is not None
    )


#: The requested adaptation backbones (adaptation.selected_encoders, else all) whose
#: weights are found; none when the suite is switched off.
ADAPTATION_REQUESTED = (
    (ADAPTATION["selected_encoders"] or list(ADAPTATION["encoders"]))
    if ADAPTATION["enabled"]
    else []
)
ADAPTATION_ENCODERS = [e for e in ADAPTATION_REQUESTED if adaptation_weights_found(e)]
for _encoder in ADAPTATION_REQUESTED:
    if _encoder not in ADAPTATION_ENCODERS:
        print(
            f"eobench: adaptation.encoders.{_encoder} left out: weights "
            f"{ADAPTATION['encoders'][_encoder]['weights']!r} are in none of "
            f"weights.local_dirs {config['weights']['local_dirs']} nor in "
            f"{WEIGHTS_CACHE}; set weights.download: true to download them",
            file=sys.stderr,
        )


def adaptation_runs():
    """Every (encoder, inputs, mode, subset, seed) of adaptation.grid, in grid order."""
    runs = []
    for entry in ADAPTATION["grid"]:
        for mode in entry["modes"]:
            for inputs in entry["inputs"]:
                for subset in entry["subsets"]:
                    for encoder in ADAPTATION_ENCODERS:
                        for seed in ADAPTATION["seeds"]:
                            runs.append((encoder, inputs, mode, subset, seed))
    return list(dict.fromkeys(runs))


ADAPTATION_RUN = (
    "results/adaptation/{dataset}/{encoder}/{inputs}/{mode}/{subset}/seed{seed}"
)


def adaptation_metric_files(wildcards):
    """The metrics of every run of the grid."""
    return [
        f"{ADAPTATION_RUN}/metrics.csv".format(
            dataset=wildcards.dataset,
            encoder=e,
            inputs=i,
            mode=m,
            subset=s,
            seed=seed,
        )
        for e, i, m, s, seed in adaptation_runs()
    ]


def adaptation_base_model(wildcards):
    """The checkpoints a test-time mode adapts: its base mode's run."""
    from eobench.adaptation.modes import get_mode

    base = get_mode(wildcards.mode).base
    return f"{ADAPTATION_RUN}/model.pt".format(**{**wildcards, "mode": base})


def adaptation_encoder_spec(wildcards):
    spec = ADAPTATION["encoders"][wildcards.encoder]
    if spec["type"] == "pretrained_checkpoint":  # rule pretrain (rules/pretrain.smk)
        return {**spec, "checkpoint": pretrained_checkpoint_file(spec)}
    return spec


def adaptation_weights(wildcards):
    """The verified weights of an adaptation backbone (rule retrieve_weights), or nothing."""
    spec = ADAPTATION["encoders"][wildcards.encoder]
    if spec["type"] == "pretrained_checkpoint":  # rule pretrain (rules/pretrain.smk)
        return [pretrained_checkpoint_file(spec)]
    name = spec.get("weights")
    return [f"{WEIGHTS_CACHE}/{name}/SHA256SUMS"] if name else []


ADAPTATION_TABLES = ("ttt", "low_shot")
ADAPTATION_FIGURES = ("low_shot", "geographic_shift")


def adaptation_table_targets():
    if not ADAPTATION_ENCODERS:
        return []
    stem = f"results/tables/{ADAPTATION['dataset']}/adaptation"
    tables = [*ADAPTATION_TABLES, *(f"per_task/{t}" for t in ADAPTATION["tasks"])]
    return [f"{stem}/{t}.{ext}" for t in tables for ext in TABLE_FORMATS]


def adaptation_figure_targets():
    if not ADAPTATION_ENCODERS:
        return []
    stem = f"results/figures/{ADAPTATION['dataset']}/adaptation"
    return [f"{stem}/{f}.{ext}" for f in ADAPTATION_FIGURES for ext in ("pdf", "png")]
