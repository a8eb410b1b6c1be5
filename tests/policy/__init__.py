"""Tests of the legal-basis policy engine."""
