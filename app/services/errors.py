"""Domain exceptions raised by services and turned into messages by the views."""


class DomainError(Exception):
    """A rule of the domain refuses the operation; ``message`` is shown to the person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        #: The form field the message belongs next to, when there is one.
        self.field = field


class InvalidTransition(DomainError):
    """The record is not in a state that allows this change (someone else acted first)."""
