"""Config checking: each mistake gives one line naming the key, through the workflow too."""

import copy
import subprocess
import sys

import pytest
import yaml

from eobench.config import check_config
from eobench.errors import EobenchError

SCHEMA = "config/schema/config.schema.yaml"


@pytest.fixture
def config(repo):
    return yaml.safe_load((repo / "config" / "config.yaml").read_text())


def test_default_and_paper_configs_are_valid(repo, config):
    check_config(config, repo / SCHEMA)
    paper = copy.deepcopy(config)
    overlay = yaml.safe_load((repo / "config" / "paper.yaml").read_text())
    paper["datasets"].update(overlay.pop("datasets"))
    for key, value in overlay.items():
        paper[key] = {**paper[key], **value} if isinstance(value, dict) else value
    check_config(paper, repo / SCHEMA)
    assert paper["datasets"][paper["dataset"]]["size"] == 264
    assert paper["probe"]["k_splits"] == 40


@pytest.mark.parametrize(
    "change, message",
    [
        ({"probe": {"epochs": "twenty"}}, "config key probe.epochs: 'twenty' is not of type"),
        ({"probe": {"epochs": 0}}, "config key probe.epochs: 0 is less than the minimum"),
        ({"probe": {"test_size": 1.5}}, "config key probe.test_size"),
        ({"probe": {"protocols": ["lenient"]}}, "config key probe.protocols.0"),
        ({"probe": {"epochz": 3}}, "config key probe.epochz: unknown key"),
        ({"embedding_dim": -4}, "config key embedding_dim"),
        ({"encoders": {"mine": {"type": "resnet9000"}}}, "encoders.mine.type: unknown encoder"),
        ({"encoders": {"rcf": {"type": "rcf", "aggregations": ["none"]}}}, "takes single"),
        ({"tasks": ["biomass_mean", "ice_thickness"]}, "unknown task 'ice_thickness'"),
        ({"dataset": "nowhere"}, "config key dataset: 'nowhere' is not an entry"),
        ({"selected_encoders": ["ghost"]}, "config key selected_encoders: 'ghost'"),
        ({"encoders": {"x": {"type": "presto", "weights": "nope"}}}, "encoders.x.weights: unknown"),
        ({"challenge": {"demo": {"teams": ["ghost"]}}}, "challenge.demo.teams: 'ghost' is not"),
        ({"challenge": {"annotation_path": "no/labels"}}, "annotation_path: 'no/labels' does not"),
        (
            {"encoders": {"mine": {"type": "embeddings_file", "path": "no/table.csv"}}},
            "config key encoders.mine.path: 'no/table.csv' does not exist",
        ),
        ({"encoders": {"mine": {"type": "embeddings_file"}}}, "encoders.mine.path: missing"),
    ],
)
def test_bad_values_name_the_key(repo, config, change, message):
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    with pytest.raises(EobenchError) as info:
        check_config(config, repo / SCHEMA)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_workflow_stops_with_one_line_on_a_bad_config(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("probe:\n  epochs: -1\n")
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "all_tables", "--configfile", str(bad)],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "error: config key probe.epochs: -1 is less than the minimum of 1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
