"""The demo's customers: each one person with one profile, whatever conversation they start.

A customer's id is derived from their name, and everything else the hub shows about them (tier,
lifetime value, email, locale, history) is fixed here, so the same customer id never arrives
with two profiles.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    """One customer, the same in every conversation they have."""

    name: str
    tier: str
    language: str
    lifetime_value: float
    since: int
    orders: int

    @property
    def id(self) -> str:
        return "c-" + self.name.lower().replace(" ", "-").replace("'", "")

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    def as_customer(self) -> dict[str, object]:
        """The ``customer`` object a source sends for this person."""
        local = self.name.lower().replace(" ", ".").replace("'", "")
        return {
            "id": self.id,
            "name": self.name,
            "tier": self.tier,
            "lifetime_value": self.lifetime_value,
            "email": f"{local}@example.com",
            "locale": self.language,
            "history": [f"{self.orders} orders", f"customer since {self.since}"],
        }


CUSTOMERS: tuple[Profile, ...] = (
    Profile("Dana Whitfield", "vip", "en", 18400.0, 2017, 64),
    Profile("Omar Haddad", "standard", "en", 640.0, 2022, 7),
    Profile("Lucía Fernández", "premium", "es", 3900.0, 2019, 31),
    Profile("Tyler Brooks", "free", "en", 0.0, 2025, 1),
    Profile("Mei Tanaka", "standard", "en", 820.0, 2021, 12),
    Profile("Jonas Becker", "standard", "de", 880.0, 2020, 9),
    Profile("Camille Laurent", "premium", "fr", 5150.0, 2018, 40),
    Profile("Priya Raman", "vip", "en", 26900.0, 2016, 88),
    Profile("Sam O'Connor", "free", "en", 45.0, 2024, 2),
    Profile("Greta Lindqvist", "standard", "en", 310.0, 2023, 4),
    Profile("Mateo Rossi", "standard", "es", 770.0, 2021, 8),
    Profile("Anneke de Vries", "standard", "nl", 430.0, 2022, 6),
    Profile("Hannah Schulz", "premium", "de", 2600.0, 2019, 22),
    Profile("Louis Moreau", "standard", "fr", 520.0, 2023, 5),
    Profile("Aisha Bello", "standard", "en", 490.0, 2020, 11),
    Profile("Ravi Kapoor", "free", "en", 12.0, 2025, 1),
    Profile("Giulia Bianchi", "standard", "it", 380.0, 2022, 5),
    Profile("João Pereira", "standard", "pt", 560.0, 2021, 9),
)

#: Every customer by id: one profile per id.
BY_ID: dict[str, Profile] = {profile.id: profile for profile in CUSTOMERS}
