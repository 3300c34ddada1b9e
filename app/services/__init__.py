"""Domain operations: check state, change rows, write the audit entry and the outbox message, flush.

The request (or the CLI command) commits once; services never commit.
"""
