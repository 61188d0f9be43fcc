"""Lambda entry points: one module per function, each thin (parse, one core call, return)."""
