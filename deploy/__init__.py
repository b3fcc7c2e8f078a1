"""Deployment files shipped with the package: ``prefect.yaml`` (read by ``benchwatch serve``), the
compose file, the Dockerfile and the notes for Kubernetes and storage beyond one machine.

They live in ``deploy/`` at the top of the checkout, as the design card
lays out; the link ``benchwatch/deploy -> ../deploy`` makes them package
data of ``benchwatch.deploy`` (read with ``importlib.resources``), so an
installed wheel carries them. Edit them under ``deploy/``.
"""
