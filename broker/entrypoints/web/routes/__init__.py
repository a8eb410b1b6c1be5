"""The console's pages, by who uses them: signing in, privacy officers and auditors, operators,
and the citizens' portal."""
