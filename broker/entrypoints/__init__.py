"""Ways in: the HTTP API, the command line and the scheduled jobs. Each parses its input, makes
one application call and renders the answer."""
