"""Every use case of the broker, and only here: commands that change state and queries that
read the read model, each deciding its own permission in one place."""
