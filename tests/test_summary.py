"""The one-page run summary: leaderboards as the tables print them, claims, outputs."""

import pandas as pd

from eobench.tables.summary import run_summary


def test_summary_lists_leaderboards_claims_and_what_exists(tmp_path):
    board = pd.DataFrame(
        {
            "method": ["oracle/post", "averaging/pre", "averaging/post", "random/pre"],
            "same_as": [None, None, "averaging/pre", None],
            "mean_q": [40.123, 10.0, 10.0000004, -0.004],
            "weighted_score": [1.0, 2.25, 2.25, 3.5],
            "aggregated_rank": [1, 2, 2, 3],
        }
    )
    board.to_csv(tmp_path / "neuco.csv", index=False)
    board.iloc[[1, 2, 0, 3]].assign(aggregated_rank=[1, 1, 2, 3]).to_csv(
        tmp_path / "strict.csv", index=False
    )
    claims = pd.DataFrame(
        {
            "claim": ["post beats pre", "pretrained models beat averaging"],
            "source": ["Table 4", "the paper's foundation-model ablations"],
            "status": ["FAIL", "NOT TESTABLE"],
            "covers": ["rcf", "–"],
            "evidence": ["rcf 4/11", "no pretrained weights"],
        }
    )
    claims.to_csv(tmp_path / "claims.csv", index=False)
    built = tmp_path / "radar.png"
    built.write_bytes(b"png")
    text = run_summary(
        {"neuco": tmp_path / "neuco.csv", "strict": tmp_path / "strict.csv"},
        tmp_path / "claims.csv",
        tables=["results/tables/synth/neuco/task_scores.md"],
        figures=[str(built), str(tmp_path / "missing.png")],
        run={"dataset": "synth", "config hash": "abc123", "code_version": "eobench 1 (x)"},
    )
    lines = text.splitlines()
    neuco = lines.index("### neuco")
    assert lines[neuco + 2] == "| rank | method | mean Q | weighted score (lower is better) |"
    assert lines[neuco + 4] == "| 1 | oracle/post | 40.12 | 1.00 |"
    assert lines[neuco + 5] == "| 2 | averaging/pre = averaging/post | 10.00 | 2.25 |"
    assert lines[neuco + 6] == "| 3 | random/pre | 0.00 | 3.50 |"  # -0.004 prints 0.00
    strict = lines.index("### strict")
    assert lines[strict + 4 : strict + 8] == [
        "| 1 | averaging/pre = averaging/post | 10.00 | 2.25 |",
        "| 2 | oracle/post | 40.12 | 1.00 |",
        "| 3 | random/pre | 0.00 | 3.50 |",
        "",
    ]
    assert "- config hash: abc123" in lines and "- code_version: eobench 1 (x)" in lines
    assert "2 claims: 1 FAIL, 1 NOT TESTABLE." in lines
    assert "| NOT TESTABLE | pretrained models beat averaging |" in text
    assert "lower is better" in text
    assert "- `results/tables/synth/neuco/task_scores.md`" in lines
    assert f"- `{built}`" in lines
    assert f"- `{tmp_path / 'missing.png'}` (not built yet)" in lines
