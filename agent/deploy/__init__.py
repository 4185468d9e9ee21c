"""Manifests that install the agent in a cluster."""
