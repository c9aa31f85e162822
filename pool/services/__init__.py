"""Use cases. Each takes explicit arguments (actor, objects, ``now``), changes data and flushes;
the caller commits."""
