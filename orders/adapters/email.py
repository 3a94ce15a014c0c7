"""Customer email through Amazon SES (v2 ``SendEmail``), from the stage's verified sender."""

from __future__ import annotations

from typing import Any

from orders.adapters.clients import delivery_failures
from orders.domain.customer_messages import CustomerMessage

# Refusals no retry can fix: the address or the message is refused, or the sender is not
# verified (in the SES sandbox, an unverified recipient is refused the same way). Anything
# else (throttling, quotas, a paused account, 5xx, the network) is worth another try, and after
# the queue's five tries the record waits in the DLQ for `make redrive`.
_PERMANENT = {
    "MessageRejected": "SES rejected it: an unverified sender, or (in the SES sandbox) recipient",
    "MailFromDomainNotVerifiedException": "the sender's MAIL FROM domain is not verified",
    "BadRequestException": "the address or message is invalid",
    "NotFoundException": "the sender identity does not exist",
}


class SesEmailSender:
    """Sends a plain-text email in UTF-8, tagged with the order and status for SES events."""

    def __init__(self, sesv2: Any, sender: str) -> None:
        self._ses = sesv2
        self._sender = sender

    def send(self, to: str, message: CustomerMessage) -> str:
        """Send ``message`` to ``to``; return SES's message id."""
        with delivery_failures(_PERMANENT, "SendEmail"):
            response = self._ses.send_email(
                FromEmailAddress=self._sender,
                Destination={"ToAddresses": [to]},
                Content={
                    "Simple": {
                        "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
                    }
                },
                EmailTags=[
                    {"Name": "orderId", "Value": message.order_id},
                    {"Name": "status", "Value": message.status.value},
                ],
            )
        return str(response["MessageId"])
