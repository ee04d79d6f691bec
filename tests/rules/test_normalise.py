"""The address normaliser: one warehouse written a hundred ways is one address; a neighbour is not."""

from __future__ import annotations

import pytest

from cancellations.rules.normalise import at_any, normalise_address, normalise_postcode

# "123 Main Street" in full-width characters, as some keyboards and copied addresses write it.
FULL_WIDTH_MAIN_STREET = "".join(chr(0xFEE0 + ord(c)) if c != " " else " " for c in "123 Main Street")


def _addr(address1: str, address2: str = "", *, zip: str = "", city: str = "", country: str = "US") -> dict:
    return {"address1": address1, "address2": address2, "zip": zip, "city": city, "country_code": country}


def _same(order: dict, listed: dict) -> bool:
    return at_any(order, [normalise_address(listed)]) is not None


@pytest.mark.parametrize(
    ("order", "listed"),
    [
        # Units written before or after, as a word or as "#", with or without punctuation.
        (_addr("123 MAIN STREET #5", zip="97229"), _addr("Unit 5, 123 Main St.", zip="97229")),
        (_addr("123 Main St", "Apt. 4B", zip="97229"), _addr("123 main street, apartment 4-b", zip="97229")),
        (_addr("123 Main St Apt 4b", zip="97229"), _addr("123 Main St #4B", zip="97229")),
        (_addr("123 Main St., Suite 4B", zip="97229"), _addr("123 MAIN ST STE 4B", zip="97229")),
        # A ZIP+4 is the same delivery area as its first five digits.
        (_addr("123 Main St", zip="97229-1234"), _addr("123 Main St", zip="97229")),
        # A forwarder gives every customer their own suite: the listed address without one matches them all.
        (
            _addr("4100 NW 120th Ave", "Suite 88231", zip="33178"),
            _addr("4100 Northwest 120th Avenue", zip="33178"),
        ),
        # A customer code or the forwarder's name on the order's lines does not hide the street.
        (
            _addr("MyForwarder US12345", "4100 NW 120th Ave", zip="33178"),
            _addr("4100 NW 120th Ave", zip="33178"),
        ),
        # Postcodes with and without spaces (Sweden, the UK).
        (
            _addr("Storgatan 12", zip="111 22", country="SE"),
            _addr("STORGATAN 12", zip="11122", country="se"),
        ),
        (
            _addr("10 Downing Street", zip="SW1A 2AA", country="GB"),
            _addr("10 Downing St", zip="sw1a2aa", country="GB"),
        ),
        # Swedish "c/o" lines name a person, not a place; "lgh" is the flat number.
        (
            _addr("c/o Svensson", "Storgatan 12 lgh 1101", zip="111 22", country="SE"),
            _addr("Storgatan 12", zip="11122", country="SE"),
        ),
        (
            _addr("C/O Paketombud AB, Storgatan 12", zip="111 22", country="SE"),
            _addr("Storgatan 12", zip="111 22", country="SE"),
        ),
        # "12 B" and "12B" are one house number; house numbers before or after the street.
        (
            _addr("Storgatan 12 B", zip="111 22", country="SE"),
            _addr("Storgatan 12B", zip="11122", country="SE"),
        ),
        (_addr("Hauptstraße 5", zip="10115", country="DE"), _addr("5 Hauptstr.", zip="10115", country="DE")),
        # Unicode: accents, ß, full-width digits and letters.
        (
            _addr("Große Straße 7", city="Köln", country="DE"),
            _addr("GROSSE STR 7", city="Koln", country="DE"),
        ),
        (_addr(FULL_WIDTH_MAIN_STREET, zip="97229"), _addr("123 Main St", zip="97229")),
        (
            _addr("Drottninggatan 5", zip="411 14", country="SE"),
            _addr("DROTTNINGGATAN 5", zip="41114", country="SE"),
        ),
        # Australian "unit/number".
        (
            _addr("5/123 Main Rd", zip="2000", country="AU"),
            _addr("Unit 5, 123 Main Road", zip="2000", country="AU"),
        ),
        # P.O. boxes in any spelling.
        (_addr("P.O. Box 123", zip="97229"), _addr("PO BOX 123", zip="97229")),
    ],
)
def test_these_are_the_same_address(order, listed):
    assert _same(order, listed)


@pytest.mark.parametrize(
    ("order", "listed"),
    [
        # Another house on the street.
        (_addr("125 Main St", zip="97229"), _addr("123 Main St", zip="97229")),
        # The same street in another town.
        (_addr("123 Main St", zip="10001"), _addr("123 Main St", zip="97229")),
        # The same street name in another country.
        (_addr("Storgatan 12", zip="11122", country="SE"), _addr("Storgatan 12", zip="11122", country="NO")),
        # Another street type is another street.
        (_addr("123 Main Ave", zip="97229"), _addr("123 Main St", zip="97229")),
        # When the list names a unit, only that unit matches.
        (_addr("123 Main St #6", zip="97229"), _addr("123 Main St, Unit 5", zip="97229")),
        (_addr("123 Main St", zip="97229"), _addr("123 Main St, Unit 5", zip="97229")),
        # The entrance letter is part of the number.
        (
            _addr("Storgatan 12 C", zip="11122", country="SE"),
            _addr("Storgatan 12 B", zip="11122", country="SE"),
        ),
        # No postcode on the list: the city decides.
        (_addr("123 Main St", city="Portland"), _addr("123 Main St", city="Salem")),
        # Nothing to compare.
        ({}, _addr("123 Main St", zip="97229")),
    ],
)
def test_these_are_different_addresses(order, listed):
    assert not _same(order, listed)


def test_a_direction_letter_stays_a_word_and_a_house_letter_joins_its_number():
    assert (
        normalise_address(_addr("123 N Main St")).street
        == normalise_address(_addr("123 North Main Street")).street
    )
    assert "12b" in normalise_address(_addr("Storgatan 12 b", country="SE")).street.split()


def test_the_normalised_key_is_the_same_for_the_same_address():
    one = normalise_address(_addr("Unit 5, 123 Main St.", zip="97229"))
    two = normalise_address(_addr("123 MAIN STREET #5", zip="97229-1234"))
    assert one.key == two.key
    assert one.unit == "5" and one.postcode == "97229" and one.street == "123 main st"


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("111 22", "SE", "11122"),
        ("sw1a 2aa", "GB", "SW1A2AA"),
        ("97229-1234", "US", "97229"),
        ("1234-567", "PT", "1234567"),
    ],
)
def test_postcodes_are_squeezed(raw, country, expected):
    assert normalise_postcode(raw, country) == expected
