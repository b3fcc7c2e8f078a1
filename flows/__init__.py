"""The Prefect flows: thin wrappers over the refresh use case (``benchwatch.pipeline``).

``refresh.py``, ``ingest.py``, ``analysis.py``, ``alerts.py``, ``backup.py`` and
``probe.py`` (the daily probe of the upstreams) are the flows; ``tasks.py`` the
steps as tasks; ``deployments.py`` reads ``deploy/prefect.yaml`` for
``benchwatch serve``.

These files sit in the top-level ``flows/`` folder of the checkout, where the
design card asks for them; Python reaches them as ``benchwatch.flows``
because ``benchwatch/flows`` is a symlink to ``../flows``, so the wheel still
installs a single ``benchwatch`` package. Use the ``flows/`` path with git
and grep; a traceback may print either.
"""
