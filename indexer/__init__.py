"""Turning library roots into the catalog: walk, name, classify, probe, upsert, index."""
