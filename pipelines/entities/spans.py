"""The candidate every extractor returns before overlaps are settled."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.items import Entity

# Which extractor wins when two candidates cover exactly the same characters.
PRIORITY = {"person": 4, "organization": 3, "place": 2, "industry": 1}


@dataclass
class Span:
    start: int
    end: int
    entity: Entity
    title: str | None = None
    roles: list[dict[str, str]] = field(default_factory=list)
    strength: int = 0  # extra weight: gazetteer and lexicon hits beat bare patterns

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.end - self.start, PRIORITY.get(self.entity.type, 0), self.strength)
