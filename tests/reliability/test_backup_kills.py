"""A killed backup or restore leaves nothing behind, and the database and its published copy agree
(a few seeded kills; ``tools/reliability_report.py`` runs more)."""

from __future__ import annotations

from tests.reliability.backup_kills import kill_trials


def test_killed_backups_and_restores_leave_nothing_and_stay_usable(tmp_path, data_dir):
    reports = kill_trials(tmp_path, data_dir, kills=2, seed=27)
    for report in reports:
        assert report.kills == 2, report
        assert (report.leftovers, report.unusable, report.failures) == (0, 0, []), report
