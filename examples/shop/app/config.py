"""Settings, read from the environment once at start-up."""

import os

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://shop@localhost/shop")
POOL_MAX_SIZE = int(os.environ.get("POOL_MAX_SIZE", "10"))

PAYMENTS_URL = os.environ.get("PAYMENTS_URL", "https://payments.example.com/v1")
SHIPPING_URL = os.environ.get("SHIPPING_URL", "http://shipping-gateway.internal:8080/v2")  # our gateway to the carriers
SHIPPING_API_KEY = os.environ.get("SHIPPING_API_KEY", "")
LOYALTY_URL = os.environ.get("LOYALTY_URL", "http://loyalty.internal:8080")
RECOMMENDATIONS_URL = os.environ.get("RECOMMENDATIONS_URL", "http://recommendations.internal:8080")
ORDER_WEBHOOK_URL = os.environ.get("ORDER_WEBHOOK_URL", "https://erp.example.com/hooks/orders")

EXPORT_DIR = os.environ.get("EXPORT_DIR", "/var/lib/shop/exports")
