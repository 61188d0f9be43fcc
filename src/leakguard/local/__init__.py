"""The whole bot on one machine: an embedded AWS, a local git remote, the same handlers and wiring."""
