"""The evidence: the hash-chained ledger, signed checkpoints, verification, the
playbacks written into it and their projection, and the server's recorder (service.py)."""
