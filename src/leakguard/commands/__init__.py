"""One module per CLI sub-command; each takes parsed arguments and returns an exit code."""
