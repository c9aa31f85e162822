"""Use cases. Each takes explicit arguments (actor, objects, ``now``), changes data and flushes;
the caller commits."""


class ServiceError(ValueError):
    """A change breaks a rule. ``message`` is for the user; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
