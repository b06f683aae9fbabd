"""The command groups of the CLI and what they share (cli.py is the entry point and the main group)."""
