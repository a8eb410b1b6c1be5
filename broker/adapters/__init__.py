"""Adapters to the world outside the domain: the vault, video and redaction, the event store's raw
reader, file formats (evidence packages, camera CSV) and locks. The bootstrap hands them in."""
