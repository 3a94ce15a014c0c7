"""Staff accounts of a stage's user pool: `make staff-add`, `staff-list`, `staff-disable`, `token`.

``--stage local`` (the default) is the stack `make run` started; any other stage is the deployed
stack ``orders-<stage>``, reached with the shell's AWS credentials. An account's username is its
email. A new account gets a temporary password; its first sign-in (`make token`) must choose a
new one. Locally the temporary password is printed once (the emulator sends no mail); on AWS
Cognito emails the invitation with it, unless ``--no-invite``, which prints it once instead, to
hand over in person. Passwords are read from the environment (``PASSWORD``, ``NEW_PASSWORD``) or
asked for in a terminal, never taken as arguments. Every failure is one line on stderr: exit 1
when Cognito or the stage refused, 2 on bad input (nothing was changed).
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import secrets
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from ops.stage import LOCAL, START_THE_STACK, Stage, StageNotFound, find
from orders.domain.roles import ROLES

# The groups the API function knows, which are the user pool's (a test checks the two agree).
GROUPS = tuple(ROLES)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
# A temporary password is read off a screen and typed: no look-alikes (0/O, 1/l/I), and symbols
# that need no quoting in a shell. Each class appears, so it meets any policy of its length.
_PASSWORD_CLASSES = (
    "abcdefghijkmnopqrstuvwxyz",
    "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "23456789",
    "-_.+=:",
)
_PASSWORD_LENGTH = 16


class StaffError(Exception):
    """What went wrong, in one line an operator can act on."""


class BadInput(StaffError):
    """The command was given something it refuses before changing anything (exit 2)."""


@dataclass(frozen=True)
class StaffMember:
    """One account as `make staff-list` shows it."""

    email: str
    name: str
    groups: tuple[str, ...]
    status: str
    enabled: bool


NewPassword = Callable[[str], str]


def check_email(email: str) -> str:
    """The email, trimmed and lower-cased (the pool's usernames), or BadInput."""
    email = email.strip().lower()
    if not email:
        raise BadInput("give the account's email: EMAIL=name@example.com")
    if not _EMAIL.fullmatch(email):
        raise BadInput(f"{email!r} is not an email address: give EMAIL=name@example.com")
    return email


def check_group(group: str) -> str:
    """The group if the pool has it, else BadInput naming those it has."""
    if group not in GROUPS:
        known = f"{', '.join(GROUPS[:-1])} or {GROUPS[-1]}"
        raise BadInput(
            f"unknown group {group!r}: give GROUP={known}" if group else f"give GROUP={known}"
        )
    return group


def temporary_password(policy: Mapping[str, Any]) -> str:
    """A random password that meets the pool's password ``policy`` (its PasswordPolicy)."""
    length = max(int(policy.get("MinimumLength", 0)), _PASSWORD_LENGTH)
    alphabet = "".join(_PASSWORD_CLASSES)
    chars = [secrets.choice(kind) for kind in _PASSWORD_CLASSES]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def add(
    stage: Stage, email: str, group: str, name: str | None, *, invite: bool
) -> tuple[str, str | None]:
    """Create ``email``'s account in ``group`` (or add an existing one to it).

    Returns what happened, in a line, and the temporary password if it is to be shown (a new
    account that Cognito does not email).
    """
    cognito = stage.client("cognito-idp")
    pool = _call(stage, cognito.describe_user_pool, UserPoolId=stage.user_pool_id)["UserPool"]
    policy = pool.get("Policies", {}).get("PasswordPolicy", {})
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    if name:
        attributes.append({"Name": "name", "Value": name})
    request: dict[str, Any] = {
        "UserPoolId": stage.user_pool_id,
        "Username": email,
        "UserAttributes": attributes,
    }
    password = None
    if invite and not stage.local:
        request["DesiredDeliveryMediums"] = ["EMAIL"]
    else:
        password = temporary_password(policy)
        request |= {"TemporaryPassword": password, "MessageAction": "SUPPRESS"}

    def add_to_group() -> None:
        _call(
            stage,
            cognito.admin_add_user_to_group,
            UserPoolId=stage.user_pool_id,
            Username=email,
            GroupName=group,
        )

    if not _created(stage, cognito, request):
        groups = _groups_of(stage, cognito, email)
        if group in groups:
            return f"{email} already has an account in {group}: nothing changed", None
        add_to_group()
        now = ", ".join(sorted({*groups, group}))
        return (
            f"{email} already had an account: added it to {group} (now in {now}); "
            "its password and name are unchanged",
            None,
        )
    try:
        add_to_group()
    except StaffError as error:
        raise StaffError(
            f"created {email}, but not in {group}: {error}; run the same command again"
        ) from error
    days = policy.get("TemporaryPasswordValidityDays")
    valid = f", valid {days} days" if days else ""
    if password is None:
        return (
            f"added {email} to {group}; Cognito emailed them the invitation with a temporary "
            f"password{valid}, which their first sign-in replaces",
            None,
        )
    return f"added {email} to {group} with a temporary password{valid}", password


def list_staff(stage: Stage) -> list[StaffMember]:
    """Every account of the pool with its groups, status and whether it is enabled, by email."""
    cognito = stage.client("cognito-idp")
    groups_of: dict[str, list[str]] = {}
    for page in _pages(stage, cognito, "list_groups", UserPoolId=stage.user_pool_id):
        for group in page["Groups"]:
            name = group["GroupName"]
            for members in _pages(
                stage, cognito, "list_users_in_group", UserPoolId=stage.user_pool_id, GroupName=name
            ):
                for user in members["Users"]:
                    groups_of.setdefault(user["Username"], []).append(name)
    staff = []
    for page in _pages(stage, cognito, "list_users", UserPoolId=stage.user_pool_id):
        for user in page["Users"]:
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            staff.append(
                StaffMember(
                    email=attributes.get("email", user["Username"]),
                    name=attributes.get("name", ""),
                    groups=tuple(sorted(groups_of.get(user["Username"], []))),
                    status=user.get("UserStatus", "?"),
                    enabled=bool(user.get("Enabled", True)),
                )
            )
    return sorted(staff, key=lambda member: member.email)


def disable(stage: Stage, email: str) -> str:
    """Disable ``email``'s account and revoke its refresh tokens; what was done, in a line."""
    cognito = stage.client("cognito-idp")
    for operation in (cognito.admin_disable_user, cognito.admin_user_global_sign_out):
        _call(stage, operation, UserPoolId=stage.user_pool_id, Username=email)
    return (
        f"disabled {email} and revoked its refresh tokens: it cannot sign in, and ID tokens it "
        "already holds stop working when they expire (within the hour)"
    )


def sign_in(stage: Stage, email: str, password: str, new_password: NewPassword | None) -> str:
    """An ID token for ``email``, signing in with USER_PASSWORD_AUTH through the stage's client.

    If the account still has its temporary password, ``new_password(email)`` chooses the new
    one (without it, signing in fails with a message saying how to set one).
    """
    cognito = stage.client("cognito-idp")
    try:
        answer = cognito.initiate_auth(
            ClientId=stage.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        while challenge := answer.get("ChallengeName"):
            if challenge != "NEW_PASSWORD_REQUIRED":
                raise StaffError(
                    f"Cognito asks {email} for {challenge}, which this command cannot answer: "
                    "sign in with an app that can"
                )
            if new_password is None:
                raise StaffError(
                    f"{email} has a temporary password: choose a new one first "
                    f"(`make token{_stage_argument(stage)} EMAIL={email}`)"
                )
            parameters = answer.get("ChallengeParameters", {})
            answer = cognito.respond_to_auth_challenge(
                ClientId=stage.client_id,
                ChallengeName=challenge,
                Session=answer["Session"],
                ChallengeResponses={
                    # Cognito names the account by its internal id here (the pool's usernames
                    # are emails, which are aliases of that id).
                    "USERNAME": parameters.get("USER_ID_FOR_SRP")
                    or parameters.get("USERNAME")
                    or email,
                    "NEW_PASSWORD": new_password(email),
                },
            )
    except ClientError as error:
        raise _explain(stage, error, email) from error
    except BotoCoreError as error:
        raise _unreachable(stage, error) from error
    token: str = answer["AuthenticationResult"]["IdToken"]
    return token


def _call(stage: Stage, operation: Callable[..., Any], **request: Any) -> Any:
    try:
        return operation(**request)
    except ClientError as error:
        raise _explain(stage, error, request.get("Username", "")) from error
    except BotoCoreError as error:
        raise _unreachable(stage, error) from error


def _created(stage: Stage, cognito: Any, request: dict[str, Any]) -> bool:
    """Whether AdminCreateUser made the account (False: it already existed)."""
    try:
        cognito.admin_create_user(**request)
    except ClientError as error:
        if _code(error) == "UsernameExistsException":
            return False
        raise _explain(stage, error, request["Username"]) from error
    except BotoCoreError as error:
        raise _unreachable(stage, error) from error
    return True


def _pages(stage: Stage, cognito: Any, operation: str, **request: Any) -> list[dict[str, Any]]:
    return list(_call(stage, lambda: list(cognito.get_paginator(operation).paginate(**request))))


def _groups_of(stage: Stage, cognito: Any, email: str) -> set[str]:
    pages = _pages(
        stage,
        cognito,
        "admin_list_groups_for_user",
        UserPoolId=stage.user_pool_id,
        Username=email,
    )
    return {group["GroupName"] for page in pages for group in page["Groups"]}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _explain(stage: Stage, error: ClientError, email: str) -> StaffError:
    """Cognito's refusal as one line: the account and Cognito's own words."""
    code = _code(error)
    message = str(error.response.get("Error", {}).get("Message", "")).rstrip(".")
    where = f"the {stage.name} stage's pool"
    if code == "UserNotFoundException":
        return StaffError(f"no staff account {email} in {where}")
    if code == "NotAuthorizedException" and email:
        return StaffError(f"{email} cannot sign in: {message}")
    if code == "InvalidPasswordException":
        return StaffError(f"the new password for {email} was refused: {message}")
    if code == "ResourceNotFoundException":
        return StaffError(f"{where} or its client is gone ({message}): redeploy, or restart it")
    if code in ("AccessDeniedException", "UnrecognizedClientException"):
        return StaffError(f"these AWS credentials may not do that: {message}")
    return StaffError(f"{error.operation_name} refused ({code}): {message}")


def _unreachable(stage: Stage, error: BotoCoreError) -> StaffError:
    if stage.local and isinstance(error, EndpointConnectionError):
        return StaffError(f"nothing answers at {stage.emulator_url}: {START_THE_STACK}")
    return StaffError(f"cannot reach Cognito: {error}")


def _stage_argument(stage: Stage) -> str:
    return "" if stage.local else f" STAGE={stage.name}"


def _secret(variable: str, prompt: str, *, confirm: bool = False) -> str | None:
    """``variable`` from the environment, else asked for in a terminal; None if neither."""
    if value := os.environ.get(variable):
        return value
    if not sys.stdin.isatty():
        return None
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != value:
        raise StaffError("the two passwords differ: nothing changed")
    return value or None


def _ask_new_password(email: str) -> str:
    chosen = _secret("NEW_PASSWORD", f"New password for {email}: ", confirm=True)
    if chosen is None:
        raise StaffError(
            f"{email} must choose a new password at first sign-in: run it in a terminal, "
            "or give NEW_PASSWORD in the environment"
        )
    return chosen


def _token(stage: Stage, email: str) -> str:
    password = os.environ.get("PASSWORD")
    if not password and (demo := stage.demo_user(email=email)):
        password = demo.password  # `make run` chose it and wrote it to its state file
    password = password or _secret("PASSWORD", f"Password for {email}: ")
    if not password:
        raise BadInput(f"give {email}'s password: PASSWORD in the environment, or in a terminal")
    asked = []

    def choose(email: str) -> str:
        asked.append(_ask_new_password(email))
        return asked[-1]

    token = sign_in(stage, email, password, choose)
    if asked:
        print(f"{email} has its new password now; sign in with it from now on", file=sys.stderr)
    return token


def _print_staff(staff: list[StaffMember], stage: Stage) -> None:
    if not staff:
        print(f"no staff accounts in the {stage.name} stage's pool ({stage.user_pool_id})")
        return
    rows = [("email", "name", "groups", "status", "enabled")] + [
        (m.email, m.name, ",".join(m.groups) or "-", m.status, "yes" if m.enabled else "no")
        for m in staff
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.staff", description=__doc__)
    parser.add_argument("--stage", default=LOCAL, help="local (default) or a deployed stage")
    parser.add_argument("--region", help="a deployed stage's region (default: the shell's)")
    commands = parser.add_subparsers(dest="command", required=True)
    add_command = commands.add_parser("add", help="create an account in a group")
    add_command.add_argument("--email", default="")
    add_command.add_argument("--group", default="")
    add_command.add_argument("--name", default="")
    add_command.add_argument(
        "--no-invite",
        dest="invite",
        action="store_false",
        help="on AWS, print the temporary password instead of having Cognito email it",
    )
    commands.add_parser("list", help="every account, its groups, status and whether enabled")
    disable_command = commands.add_parser("disable", help="disable an account, revoke its tokens")
    disable_command.add_argument("--email", default="")
    token_command = commands.add_parser("token", help="sign in; print the ID token alone")
    token_command.add_argument("--email", default="")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 if it failed, 2 on bad input."""
    args = _arguments(argv)
    try:
        if args.command == "add":
            email, group = check_email(args.email), check_group(args.group)
            stage = find(args.stage, args.region)
            done, password = add(stage, email, group, args.name.strip(), invite=args.invite)
            print(done)
            if password:
                print(f"Temporary password (shown once): {password}")
                print(
                    "The first sign-in with it chooses a new one: "
                    f"make token{_stage_argument(stage)} EMAIL={email}"
                )
        elif args.command == "list":
            stage = find(args.stage, args.region)
            _print_staff(list_staff(stage), stage)
        elif args.command == "disable":
            email = check_email(args.email)
            print(disable(find(args.stage, args.region), email))
        else:
            email = check_email(args.email)
            print(_token(find(args.stage, args.region), email))
    except BadInput as error:
        print(f"staff: {error}", file=sys.stderr)
        return 2
    except (StaffError, StageNotFound) as error:
        print(f"staff: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("staff: interrupted", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
