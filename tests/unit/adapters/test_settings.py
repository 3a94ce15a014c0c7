"""The settings of a process, from its environment: every problem named at once."""

from __future__ import annotations

import pytest

from orders.adapters.config import ConfigurationError, Settings
from orders.domain.model import Language

ENVIRONMENT = {
    "ORDERS_TABLE": "Orders-dev",
    **{
        f"{status}_QUEUE_URL": f"https://sqs.eu-west-1.amazonaws.com/1/orders-dev-{status.lower()}"
        for status in ("RECEIVED", "INPROCESS", "COMPLETED", "CANCELED")
    },
    "ORDER_EVENTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:1:orders-dev-order-events",
    "SENDER_EMAIL": "orders@yourshop.example",
    "METRICS_NAMESPACE": "Orders/dev",
    "STATUS_QUEUE_VISIBILITY_TIMEOUT": "60",
    "STATUS_QUEUE_MAX_RECEIVE_COUNT": "5",
    "CURSOR_KEY": "arn:aws:cloudformation:eu-west-1:1:stack/orders-dev/5f1c0ab1",
}


def test_without_the_delivery_settings_a_stage_speaks_spanish_and_texts_spain() -> None:
    delivery = Settings.from_environment(ENVIRONMENT).delivery

    assert (delivery.default_language, delivery.sms_enabled) == (Language.ES, True)
    assert delivery.default_country_code == "+34"


def test_a_stage_can_speak_english_text_the_uk_or_not_text_at_all() -> None:
    environment = ENVIRONMENT | {
        "DEFAULT_LANGUAGE": "en",
        "SMS_ENABLED": "false",
        "SMS_DEFAULT_COUNTRY_CODE": "+44",
    }

    delivery = Settings.from_environment(environment).delivery

    assert (delivery.default_language, delivery.sms_enabled) == (Language.EN, False)
    assert delivery.default_country_code == "+44"


def test_every_missing_or_invalid_setting_is_named_at_once() -> None:
    environment = {k: v for k, v in ENVIRONMENT.items() if k != "SENDER_EMAIL"} | {
        "DEFAULT_LANGUAGE": "fr",
        "SMS_ENABLED": "sometimes",
        "SMS_DEFAULT_COUNTRY_CODE": "34",
    }

    with pytest.raises(ConfigurationError) as refused:
        Settings.from_environment(environment)

    for name in ("SENDER_EMAIL", "DEFAULT_LANGUAGE", "SMS_ENABLED", "SMS_DEFAULT_COUNTRY_CODE"):
        assert name in str(refused.value)
