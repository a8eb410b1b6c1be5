"""Query side: SQL tables derived from the event log by the projector."""
