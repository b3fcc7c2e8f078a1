"""The use cases over the layers below: ingest, analyse, and the refresh that composes them
under one writer session. Plain functions; ``benchwatch.flows`` wraps them for Prefect."""
