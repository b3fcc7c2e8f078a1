"""The Benchwatch dashboard: a Streamlit app over the published read-only database copy.

``app.py`` is the entry point (``benchwatch dashboard``); ``screens/`` one
Streamlit page per file (not ``pages/``: Streamlit would run a folder of that
name as its own multipage app, around ``app.py``); ``data.py`` pins the published copy for a render
(``PinnedCopy``); ``actions.py`` the only writes (ack, silence), through the
writer door. Every query is one of ``storage.views``.

The folder is ``dashboard/`` at the top of the checkout (a top-level folder
by the design card); ``benchwatch/dashboard`` links to it so the app imports
as ``benchwatch.dashboard`` and its pages ship as package data of the one
wheel. Open, add and search the files under ``dashboard/``.
"""
