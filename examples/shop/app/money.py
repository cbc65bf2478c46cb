"""Money is Decimal, rounded to the cent once, at the edge."""

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
CARD_FEE_RATE = Decimal("0.029")
CARD_FEE_FIXED = Decimal("0.25")


def to_cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value(ROUND_HALF_EVEN))


# posture-demo: ok T.float-money (Decimal)
def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    return (unit_price * quantity).quantize(CENT, ROUND_HALF_EVEN)


# posture-demo: ok T.float-money (a ratio is not money)
def apply_discount(total: Decimal, discount_rate: float) -> Decimal:
    return (total * (1 - Decimal(str(discount_rate)))).quantize(CENT, ROUND_HALF_EVEN)


def card_fee(amount: Decimal) -> Decimal:
    return (amount * CARD_FEE_RATE + CARD_FEE_FIXED).quantize(CENT, ROUND_HALF_EVEN)


# posture-demo: violates T.float-money
def estimated_fee(amount: float) -> float:
    """Fee shown in the checkout preview (the frontend wants a JSON number)."""
    return round(amount * 0.029 + 0.25, 2)
