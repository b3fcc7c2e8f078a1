"""The ``publish`` flow: rebuild the static report after an analysis that changed something.

Its deployment is triggered by ``benchwatch.analysis.changed``, which
``analyze-and-alert`` emits when it stored a new run or an alert changed state
(see ``deploy/prefect.yaml``), with a daily schedule as a backstop. With nothing
new it writes no release and no byte, so extra runs are harmless.
"""

from __future__ import annotations

from prefect import flow

from benchwatch.publish.build import publish as build_site
from benchwatch.settings import load_settings


@flow(name="publish", log_prints=True)
def publish(db: str | None = None, to: str | None = None) -> dict:
    """Build the site from the published copy into ``to`` (default: the publish_to setting)."""
    settings = load_settings(db=db, publish_to=to)
    done = build_site(settings, settings.publish_location)
    print(f"published {settings.publish_location}: release {done.release}"
          f"{' (new)' if done.new_release else ''}, {len(done.written)} file(s) written")
    return {"release": done.release, "manifest_sha256": done.manifest_sha256, "new_release": done.new_release,
            "written": len(done.written)}
