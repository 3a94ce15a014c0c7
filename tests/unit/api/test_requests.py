"""The HTTP edge's own refusals: each names its real reason, briefly, under one title per type."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orders.api.problems import problem_response
from orders.api.requests import HttpProblem, Request, parse_if_match
from orders.domain.errors import VersionMismatch
from tests.support.data import laptop_order


def body_problem(body: str) -> HttpProblem:
    """The problem a PUT with this JSON body gets when its body is read."""
    request = Request(
        "PUT",
        "/orders/{orderId}",
        "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45",
        headers={"content-type": "application/json"},
        body=body.encode(),
    )
    with pytest.raises(HttpProblem) as refused:
        request.json_body()
    return refused.value


def test_json_nested_too_deeply_says_so_and_not_that_it_is_invalid() -> None:
    problem = body_problem('{"issue": ' + "[" * 3000 + "]" * 3000 + "}")

    assert problem.status == 400
    assert "nests" in problem.detail
    assert "not valid" not in problem.detail


def test_an_integer_of_thousands_of_digits_says_so_and_not_that_the_json_is_invalid() -> None:
    problem = body_problem('{"priority": ' + "7" * 5000 + "}")

    assert problem.status == 400
    assert "digits" in problem.detail
    assert "not valid" not in problem.detail


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('{"issue": "No boot.", "issue": "Fan spins."}', "issue"),
        ('{"customer": {"name": "Lucía", "email": "a@example.com", "name": "Ana"}}', "name"),
    ],
)
def test_a_key_given_twice_in_one_object_is_refused_naming_it(body: str, key: str) -> None:
    problem = body_problem(body)

    assert problem.status == 400
    assert f'"{key}"' in problem.detail
    assert "twice" in problem.detail


def test_the_same_key_in_two_objects_is_not_a_duplicate() -> None:
    body = json.dumps(laptop_order(customer={"name": "Lucía", "email": "l@example.com"}))
    request = Request(
        "POST", "/orders", "", {"content-type": "application/json"}, body=body.encode()
    )

    assert request.json_body() == json.loads(body)


def test_an_echoed_duplicate_key_is_cut_short_and_escaped() -> None:
    key = "k\u0085" * 300

    problem = body_problem(json.dumps({key: 1})[:-1] + f", {json.dumps(key)}: 2}}")

    assert len(problem.detail) < 200
    assert "\u0085" not in problem.detail


@pytest.mark.parametrize("tag", ['W/"' + "1" * 5000 + '"', '"' + "a" * 5000 + '"'])
def test_an_if_match_that_never_matches_is_echoed_cut_short(tag: str) -> None:
    with pytest.raises(HttpProblem) as refused:
        parse_if_match(tag)

    assert refused.value.status == 412
    assert len(refused.value.detail) < 200
    assert tag[:20] in refused.value.detail


def test_an_if_match_with_c1_controls_is_echoed_printably() -> None:
    with pytest.raises(HttpProblem) as refused:
        parse_if_match('W/"\x85\x9b"')

    assert "\x85" not in refused.value.detail
    assert "\x9b" not in refused.value.detail


def _problem(error: Exception) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(problem_response(error, "req-1")["body"])
    return body


def test_the_two_412_problems_have_titles_of_their_own() -> None:
    """A title belongs to its type: two types whose titles differ only in case read as a slip."""
    with pytest.raises(HttpProblem) as weak:
        parse_if_match('W/"3"')
    never = _problem(weak.value)
    stale = _problem(VersionMismatch(2, 3))

    assert (never["status"], stale["status"]) == (412, 412)
    assert never["type"] != stale["type"]
    assert never["title"].lower() != stale["title"].lower()
