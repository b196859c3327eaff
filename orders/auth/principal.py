"""Who is calling: a customer, a member of staff, or anyone (authentication is off)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Customer:
    """A customer token's holder: its `sub` is the customer id it may act for."""

    customer_id: str


@dataclass(frozen=True)
class Staff:
    """A staff token's holder (README, "Security": the staff claim); `subject` is its `sub`."""

    subject: str


@dataclass(frozen=True)
class Anyone:
    """Every caller while ORDERFLOW_AUTH_MODE=none: allowed everything, as before auth."""


Principal = Customer | Staff | Anyone

ANYONE = Anyone()
