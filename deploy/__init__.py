"""Deployment files shipped with the package: ``prefect.yaml`` (read by ``benchwatch serve``), the
compose file, the Dockerfile and the notes for Kubernetes and storage beyond one machine."""
