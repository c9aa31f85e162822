"""One pydantic schema per resource: what a client may send and what it gets back.

Each field's limits, patterns, defaults and descriptions are written here once; the API parses
and answers through these models, the OpenAPI document is generated from them and the forms read
their limits from them. Modules by area: ``requests``, ``offers`` (offers, assignments, outcome),
``mediators`` (with availability, checks, trainings, acknowledgements and the self-service
subset), ``org`` (pool, office, user, token), ``reports``, ``hotline``, ``errors``; ``base`` has
the building blocks.
"""
