"""`perfrules serve`: the county's self-evaluation round on the web (see docs/serve-guide.md)."""
