"""Request and response bodies."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, EmailStr, Field


class OrderLine(BaseModel):
    product_id: int
    quantity: int = Field(gt=0, le=100)


class NewOrder(BaseModel):
    customer_id: int
    lines: list[OrderLine] = Field(min_length=1, max_length=50)


class BankTransfer(BaseModel):
    """A payment support saw arrive on the shop's bank account."""

    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)


class NewCustomer(BaseModel):
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    country: str = Field(pattern="^[A-Z]{2}$")


class NewProduct(BaseModel):
    sku: str = Field(pattern="^SKU-[0-9]{6}$")
    category_id: int
    name: str = Field(min_length=1, max_length=200)
    # posture-demo: ok T.float-money (Decimal)
    price: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    # posture-demo: ok T.float-money (a weight)
    weight_kg: float | None = None


class PriceFeedItem(BaseModel):
    """One line of the feed that price-comparison sites poll."""

    sku: str
    name: str
    # posture-demo: violates T.float-money
    price: float
    updated_at: datetime


class AvailabilityRequest(BaseModel):
    skus: list[str] = Field(max_length=5000)
