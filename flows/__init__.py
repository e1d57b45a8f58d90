"""Prefect flows: wiring only (nightly, remind, provision).

Entrypoints are named in prefect.yaml.
"""
