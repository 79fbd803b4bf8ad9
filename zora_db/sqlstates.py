"""The SQLSTATEs the schema's rules raise: class ZA, the apps' to catch and explain.

PostgREST returns a raised SQLSTATE as the error's ``code``; the apps match
on these values. docs/schema.md's table lists the same codes (tested).
"""

from enum import StrEnum


class ZoraSqlState(StrEnum):
    BAD_STATUS_CHANGE = "ZA001"  # a status change not allowed, or a new order not pending
    PRODUCT_UNAVAILABLE = "ZA002"  # inactive or deleted
    PRODUCT_OF_ANOTHER_ORDER = "ZA003"  # another vendor's, or in another currency
    ITEMS_FROZEN = "ZA004"  # an order's items after it left pending
    VENDOR_CLOSED = "ZA005"  # not verified, or inactive
    REVIEW_WITHOUT_DELIVERY = "ZA006"  # no delivered order of its author (with that product)
    NOT_IN_CONVERSATION = "ZA007"  # a message from someone outside it
    IDEMPOTENCY_KEY_REUSED = "ZA008"  # create_order's key already placed a different order
    OWN_SHOP = "ZA009"  # a shop's owner ordering from it
    OVER_LIMIT = "ZA010"  # over a platform limit (order items, addresses, cart, ...)
