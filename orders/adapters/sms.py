"""Customer SMS through Amazon SNS (``Publish`` with ``PhoneNumber``), as transactional texts."""

from __future__ import annotations

from typing import Any

from orders.adapters.clients import delivery_failures
from orders.domain.customer_messages import CustomerMessage
from orders.usecases.ports import DeliveryRejected

# SNS refuses a number it cannot use with InvalidParameter (also for a message it rejects).
_PERMANENT = dict.fromkeys(
    ("InvalidParameter", "InvalidParameterValue"), "the phone number was rejected"
)


class SnsSmsSender:
    """Checks the number has not opted out (SNS would accept the text and drop it), then sends."""

    def __init__(self, sns: Any) -> None:
        self._sns = sns

    def send(self, phone: str, message: CustomerMessage) -> str:
        """Send ``message.sms`` to ``phone`` (E.164); return SNS's message id."""
        with delivery_failures(_PERMANENT, "Publish"):
            if self._sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"]:
                raise DeliveryRejected("the phone number has opted out of SMS")
            response = self._sns.publish(
                PhoneNumber=phone,
                Message=message.sms,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
                },
            )
        return str(response["MessageId"])
