"""Small helpers every layer may use: times on the wire, page cursors, CSV, great-circle geometry."""
