"""Smoke test of bench/results_bench.py: seeding and the results computation on a tiny
event, so the benchmark keeps working as the models change (seconds, not minutes)."""

from bench import results_bench


def test_results_bench_compute_prints_figures_for_tiny_event(capsys):
    argv = ["--parts", "compute", "--compute-pitches", "5", "--compute-judges", "3"]

    code = results_bench.main([*argv, "--compute-repeat", "1"])

    out = capsys.readouterr().out
    assert code == 0
    assert "seeded compute-panel-5: 5 pitches, 3 judges (panel)" in out
    assert "results + analysis, 5 x 3, panel" in out
    assert "RESULT: every target met (1 of 1)" in out
