"""footage-broker: lawful, audited, encrypted access to public CCTV footage."""

__version__ = "0.1.0"
