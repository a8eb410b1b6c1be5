"""Request and response shapes at the edge, a family per resource (``...Create`` for what a
client sends, ``...Public`` for what it gets back, ``...Page`` for lists); everything entering
the API is validated here, and every answer is checked against its documented shape."""
