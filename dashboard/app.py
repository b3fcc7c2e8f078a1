"""Benchwatch dashboard entry point: ``benchwatch dashboard`` runs ``streamlit run`` on this file.

Settings come from the one settings object (``BENCHWATCH_*`` and the TOML
file; the CLI passes ``--db`` through ``BENCHWATCH_DB``). The app reads only
the published read-only copy of the database; see ``dashboard/data.py``.
"""

from __future__ import annotations

import streamlit as st

from benchwatch.dashboard import context
from benchwatch.dashboard.data import READ_ERRORS, StaleCopy, unreadable
from benchwatch.settings import SettingsError, load_settings
from benchwatch.storage.db import DatabaseUnusable

st.set_page_config(page_title="Benchwatch", page_icon=":material/monitoring:", layout="wide")

PAGES = [
    st.Page("screens/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("screens/benchmark.py", title="Benchmark", icon=":material/show_chart:", url_path="benchmark"),
    st.Page("screens/capabilities.py", title="Capabilities", icon=":material/psychology:", url_path="capabilities"),
    st.Page("screens/benchmark_check.py", title="Check a benchmark", icon=":material/fact_check:", url_path="check"),
    st.Page("screens/alerts.py", title="Alerts", icon=":material/notifications:", url_path="alerts"),
    st.Page("screens/data.py", title="Data", icon=":material/database:", url_path="data"),
]

page = st.navigation(PAGES)
try:
    settings = load_settings()
except SettingsError as exc:
    st.error("The dashboard's configuration is invalid.")
    st.text(str(exc))
    st.stop()

with st.sidebar:
    st.caption("Does this safety benchmark measure safety, or just capabilities? "
               "Correlations follow Ren et al., “Safetywashing” (arXiv 2407.21792); each page ends with "
               "the sources of its numbers and their attribution.")

with context.opened(settings) as ctx:
    try:
        page.run()
    except StaleCopy:
        # A refresh replaced the published copy mid-render: start over on the new one.
        st.rerun()
    except (DatabaseUnusable, *READ_ERRORS) as exc:
        # A damaged or locked copy: one message saying which file and what to do, never a traceback.
        problem = exc if isinstance(exc, DatabaseUnusable) else unreadable(ctx.pinned.path, settings.db, exc)
        st.error(str(problem))
        st.stop()
