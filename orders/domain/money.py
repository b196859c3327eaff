"""Amounts in minor units: the integer a payment gateway is given (cents for USD, yen for JPY).

Events carry a decimal `total` ("13.25") for people, and since schema version 2 of the order
terms also `total_minor` (1325): the integer amount that payment systems take, computed once by
the writer instead of by every consumer, so no reader converts decimals on its own.
"""

from decimal import Decimal

# ISO 4217 currencies whose minor unit is not a hundredth; every other currency has 2 digits.
_MINOR_DIGITS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "UYW": 4, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip


def minor_digits(currency: str) -> int:
    """How many decimal digits the currency's minor unit has (2 for USD, 0 for JPY)."""
    return _MINOR_DIGITS.get(currency, 2)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """`amount` as an integer count of the currency's minor unit: 13.25 USD -> 1325.
    Raises ValueError when the amount is finer than the currency's minor unit (0.5 JPY)."""
    if not amount.is_finite():
        raise ValueError(f"not an amount: {amount}")
    scaled = amount.scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is finer than the currency's minor unit")
    return int(scaled)
