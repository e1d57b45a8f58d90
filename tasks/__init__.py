"""Prefect tasks: thin wrappers over ttcs that add retries, timeouts and batching."""
