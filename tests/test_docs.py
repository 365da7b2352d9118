"""The README's commands are the ones CI runs, and every config key is documented."""

import re

import yaml


def fenced_commands(readme: str) -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", readme, flags=re.S)


def test_ci_runs_the_readme_test_command(repo):
    commands = fenced_commands((repo / "README.md").read_text())
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command.strip() in (repo / ".ci" / "run").read_text()
    main_command = commands[0]
    assert "all_tables" in main_command and "pip install" in main_command


#: Sections whose entries the user names (datasets, encoders, probe heads, macros).
USER_NAMED = ("datasets", "encoders", "probe_heads", "macros")


def _keys(tree, prefix=""):
    for key, value in tree.items():
        yield f"{prefix}{key}"
        # User-named entries (datasets, encoders, probe heads) are explained by their fields.
        if isinstance(value, dict) and key not in USER_NAMED:
            yield from _keys(value, f"{prefix}{key}.")


def test_every_config_key_is_explained(repo):
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    explained = (repo / "config" / "README.md").read_text()
    for key in _keys(config):
        parts = key.split(".")
        # The key, or its tail within its section's table (`probe_depth.heads`).
        tails = {".".join(parts[i:]) for i in range(len(parts))}
        assert any(f"`{tail}`" in explained for tail in tails), key
