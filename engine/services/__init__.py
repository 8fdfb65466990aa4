"""Use cases: plain functions over a unit of work. Each command commits once."""
