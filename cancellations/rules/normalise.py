"""Reading two ways of writing one street address as the same address (freight-forwarder matching).

A forwarder's warehouse is written a hundred ways: "Unit 5, 123 Main St." and "123 MAIN STREET #5" are
one place, so is "Storgatan 12" with "STORGATAN 12" and a "c/o" line above it. The normaliser folds
case, accents and full-width characters, drops punctuation, "c/o"/"attn" lines and words that are only
noise, spells street types one way, pulls the unit (apartment, suite, "#", Swedish "lgh") out on its
own, and squeezes the postcode ("111 22" = "11122"; a US ZIP+4 counts by its first five digits).

Matching then asks for the same country, postcode (or, without one, city), every word of the listed
street (the order may carry more, such as the forwarder's name or a customer code); the unit only
counts when the listed address names one, because a forwarder gives each customer their own suite
number at the same warehouse. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Street types and directions, each spelled one way (the short form).
_ABBREVIATIONS = {
    "street": "st",
    "str": "st",
    "strasse": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "highway": "hwy",
    "parkway": "pkwy",
    "terrace": "ter",
    "circle": "cir",
    "crescent": "cres",
    "expressway": "expy",
    "freeway": "fwy",
    "mount": "mt",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
}
_DIRECTIONS = {"n", "s", "e", "w"}
# Words that say nothing about where the address is.
_NOISE = {"the", "of", "and", "po", "p", "o", "postbox"}
# Words that introduce a unit inside a building; what follows is the unit.
_UNIT_WORDS = (
    "apartment",
    "apt",
    "unit",
    "suite",
    "ste",
    "flat",
    "room",
    "rm",
    "lagenhet",
    "lgh",
    "office",
    "ofc",
)
# A line (or a part of one) addressed to a person or company rather than a place.
_CARE_OF = re.compile(r"^\s*(c\s*/\s*o|c\.o\.|care\s+of|attn|att|attention)\b[:.]?", re.IGNORECASE)
_UNIT = re.compile(
    r"(?:\b(?:" + "|".join(_UNIT_WORDS) + r")\b\.?|#)\s*#?\s*(?P<unit>[a-z0-9]+(?:-[a-z0-9]+)?)\b"
)
# "5/123 Main St" (unit 5 at number 123), as Australia and New Zealand write it.
_SLASH_UNIT = re.compile(r"^(?P<unit>\d+[a-z]?)\s*/\s*(?=\d)")


@dataclass(frozen=True)
class NormalisedAddress:
    country: str
    postcode: str
    city: str
    street: str  # the street tokens, sorted, so "Main St 123" and "123 Main St" agree
    unit: str

    @property
    def street_tokens(self) -> list[str]:
        return self.street.split()

    @property
    def key(self) -> str:
        """One string per address; two entries with the same key are the same entry."""
        return "|".join((self.country, self.postcode, self.city, self.street, self.unit))

    def matches(self, listed: NormalisedAddress) -> bool:
        """Whether this (an order's) address is at `listed` (a forwarder's address)."""
        if not listed.street or not _contains(self.street_tokens, listed.street_tokens):
            return False
        if listed.country and self.country != listed.country:
            return False
        if listed.postcode:
            if self.postcode != listed.postcode:
                return False
        elif listed.city and self.city != listed.city:
            return False
        return not listed.unit or self.unit == listed.unit


def _contains(tokens: list[str], wanted: list[str]) -> bool:
    """Whether every wanted token is among `tokens` (as often as wanted): extra words such as a
    forwarder's name or a customer code on the order's lines do not hide the street."""
    left = list(tokens)
    for token in wanted:
        if token not in left:
            return False
        left.remove(token)
    return True


# Letters NFKD does not take apart.
_NOT_DECOMPOSED = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L"})


def fold(text: str) -> str:
    """Lower case, without accents, with full-width and compatibility characters made plain."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.translate(_NOT_DECOMPOSED)
    return text.casefold()


def normalise_postcode(postcode: str, country: str = "") -> str:
    code = re.sub(r"[^0-9a-z]", "", fold(postcode)).upper()
    if country.upper() == "US" and re.fullmatch(r"\d{9}", code):
        code = code[:5]  # ZIP+4: the first five digits name the delivery area
    return code


def _lines(*lines: str) -> list[str]:
    """The parts of the address lines that describe a place (no "c/o", "attn" parts)."""
    parts: list[str] = []
    for line in lines:
        for part in re.split(r"[,\n;]", line or ""):
            if part.strip() and not _CARE_OF.match(part):
                parts.append(part)
    return parts


def _street_and_unit(parts: Iterable[str]) -> tuple[str, str]:
    units: list[str] = []
    tokens: list[str] = []
    for raw in parts:
        text = fold(raw).strip()
        slash = _SLASH_UNIT.match(text)
        if slash:
            units.append(slash.group("unit"))
            text = text[slash.end() :]
        text = text.replace("p.o.", " ").replace("p. o.", " ")

        def take(found: re.Match[str]) -> str:
            units.append(found.group("unit"))
            return " "

        text = _UNIT.sub(take, text)
        # Hyphens inside a house number ("12-14") keep it one token; other punctuation separates.
        text = re.sub(r"(?<=\d)-(?=\d)", "", text)
        for token in re.split(r"[^0-9a-z]+", text):
            if not token or token in _NOISE:
                continue
            if token.endswith("strasse") and len(token) > len("strasse"):
                token = token[: -len("strasse")] + "str"  # "Hauptstraße" = "Hauptstr."
            token = _ABBREVIATIONS.get(token, token)
            if len(token) == 1 and token not in _DIRECTIONS and tokens and tokens[-1].isdigit():
                tokens[-1] += token  # "12 B" is the house number "12b" (an entrance, a plot)
                continue
            tokens.append(token)
    unit = "".join(re.sub(r"[^0-9a-z]", "", unit) for unit in units).upper()
    return " ".join(sorted(tokens)), unit


def normalise_address(address: Mapping[str, Any]) -> NormalisedAddress:
    """An address in the mirror's shape (address1, address2, city, zip, country_code) made comparable."""
    country = str(address.get("country_code") or "").strip().upper()
    street, unit = _street_and_unit(
        _lines(str(address.get("address1") or ""), str(address.get("address2") or ""))
    )
    city = " ".join(re.split(r"[^0-9a-z]+", fold(str(address.get("city") or "")))).strip()
    return NormalisedAddress(
        country=country,
        postcode=normalise_postcode(str(address.get("zip") or ""), country),
        city=city,
        street=street,
        unit=unit,
    )


def at_any(address: Mapping[str, Any], listed: Iterable[NormalisedAddress]) -> NormalisedAddress | None:
    """The first listed address this one is at, or None."""
    if not address:
        return None
    mine = normalise_address(address)
    if not mine.street:
        return None
    return next((entry for entry in listed if mine.matches(entry)), None)
