"""What resolving a place answers: a `Place`, or `PlaceNotFound` with candidates to offer.

Kept apart from geo.py (which reads the text) so the answer's shape is one short read;
geo re-exports both, as callers have always named them (`geo.Place`, `geo.PlaceNotFound`).
"""
from dataclasses import dataclass, field


class PlaceNotFound(ValueError):
    """`near` could not be resolved to a point; `candidates` name what it might have meant."""

    def __init__(self, message, candidates=()):
        super().__init__(message)
        self.candidates = list(candidates)


class UnknownPlace(PlaceNotFound):
    """No city of that name: the text may hold more than the place ("near Naperville").

    Its candidates (close spellings) are looked for only when asked: a text read again
    without the words around it raises this first and would look for nothing useful."""

    def __init__(self, message, suggest):
        super().__init__(message)
        self._suggest, self._found = suggest, None

    @property
    def candidates(self):
        if self._found is None:
            self._found = list(self._suggest())
        return self._found

    @candidates.setter
    def candidates(self, value):
        self._found = list(value) if value else None


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    precision: str  # exact, address, zip, city, county
    label: str
    timezone: str | None = None
    alternatives: tuple = field(default=())
