"""HTTP API v1: thin routers over the application; errors as RFC 9457 problem details."""
