"""What the console's list rows of people share: a full name and a neighbourhood label."""

from __future__ import annotations


class PersonRow:
    """Mixin for list rows with ``first_name``, ``last_name``, ``neighbourhood`` and ``commune``."""

    first_name: str
    last_name: str
    neighbourhood: str
    commune: str

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    @property
    def neighbourhood_label(self) -> str:
        """The neighbourhood, with its commune when the names differ (as Neighbourhood.label)."""
        if self.neighbourhood == self.commune:
            return self.commune
        return f"{self.neighbourhood} ({self.commune})"
