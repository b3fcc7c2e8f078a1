"""Storage: the DuckDB file, and every SQL statement Benchwatch runs.

``writer.py`` is the one writer door (lock, open and migrate, act, publish,
close); ``db.py`` opens files and runs migrations (``migrations/``, ordered
SQL); ``views.py`` the reads the dashboard and the CLI show; ``publish.py``
the readers' copy; the other modules one table family each. Storage imports
no fetch code: the records it stores come from ``benchwatch.records``.

Where these files live: in the checkout's top-level ``storage/`` folder,
imported as ``benchwatch.storage`` through the symlink ``benchwatch/storage ->
../storage``. Why: the design card puts storage at the top level, and one
import namespace keeps one package in the wheel and one tree for
import-linter. Edit and ``git add`` ``storage/...`` (git refuses a path beyond
the link; ``grep -r benchwatch/`` skips it); see CONTRIBUTING.md.
"""
