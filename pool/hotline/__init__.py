"""The hotline pages: a mediator's "telefonisch erreichbar" switch and the caseworkers'
"Jetzt telefonisch dolmetschen"."""

from pool.hotline.routes import bp

__all__ = ["bp"]
