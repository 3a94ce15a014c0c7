"""`make staff-add`, `staff-list`, `staff-disable` and `make token` against moto's Cognito.

The pool, its client and its groups are made from the packaged template's own properties, and a
stack ``orders-qa`` carries the outputs the commands look a deployed stage up by.
"""

from __future__ import annotations

import base64
import io
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from ops import staff
from tests.integration.conftest import use_moto_credentials

STAGE = "qa"
API_URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/qa"
POOL_PROPERTIES = (
    "UsernameAttributes",
    "AutoVerifiedAttributes",
    "AdminCreateUserConfig",
    "Policies",
    "AccountRecoverySetting",
)
CLIENT_PROPERTIES = (
    "ClientName",
    "GenerateSecret",
    "ExplicitAuthFlows",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "IdTokenValidity",
    "AccessTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
)


@dataclass
class Pool:
    """The qa stage's user pool as the commands reach it, and what they print."""

    id: str
    client_id: str
    cognito: Any
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def run(self, *argv: str, **environment: str) -> tuple[int, str, str]:
        """``python -m ops.staff --stage qa <argv>`` with ``environment`` and no terminal."""
        for name in ("PASSWORD", "NEW_PASSWORD"):
            self.monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            self.monkeypatch.setenv(name, value)
        self.monkeypatch.setattr("sys.stdin", io.StringIO())
        self.capsys.readouterr()
        code = staff.main(["--stage", STAGE, *argv])
        out, err = self.capsys.readouterr()
        return code, out, err

    def add(self, email: str, group: str, *extra: str) -> str:
        """A new account's temporary password (``--no-invite`` prints it)."""
        code, out, err = self.run("add", "--email", email, "--group", group, "--no-invite", *extra)
        assert code == 0, err
        match = re.search(r"^Temporary password \(shown once\): (\S+)$", out, re.MULTILINE)
        assert match, out
        return match[1]

    def user(self, email: str) -> dict[str, Any]:
        user: dict[str, Any] = self.cognito.admin_get_user(UserPoolId=self.id, Username=email)
        return user

    def groups(self, email: str) -> set[str]:
        found = self.cognito.admin_list_groups_for_user(UserPoolId=self.id, Username=email)
        return {group["GroupName"] for group in found["Groups"]}


@pytest.fixture
def pool(
    template: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Pool]:
    use_moto_credentials(monkeypatch)
    with mock_aws():
        resources = template["Resources"]
        cognito = boto3.client("cognito-idp")
        properties = resources["StaffUserPool"]["Properties"]
        pool_id = cognito.create_user_pool(
            PoolName=f"orders-{STAGE}-staff",
            **{name: properties[name] for name in POOL_PROPERTIES},
        )["UserPool"]["Id"]
        client = resources["StaffUserPoolClient"]["Properties"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, **{name: client[name] for name in CLIENT_PROPERTIES}
        )["UserPoolClient"]["ClientId"]
        for resource in resources.values():
            if resource["Type"] == "AWS::Cognito::UserPoolGroup":
                group = resource["Properties"]
                cognito.create_group(
                    UserPoolId=pool_id,
                    GroupName=group["GroupName"],
                    Description=group["Description"],
                )
        boto3.client("cloudformation").create_stack(
            StackName=f"orders-{STAGE}",
            TemplateBody=json.dumps(
                {
                    "Resources": {"Marker": {"Type": "AWS::SNS::Topic"}},
                    "Outputs": {
                        "ServiceEndpoint": {"Value": API_URL},
                        "StaffUserPoolId": {"Value": pool_id},
                        "StaffUserPoolClientId": {"Value": client_id},
                    },
                }
            ),
        )
        yield Pool(pool_id, client_id, cognito, capsys, monkeypatch)


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload (moto signed it; the local gateway's tests check signatures)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def test_the_commands_know_the_groups_the_template_creates(template: dict[str, Any]) -> None:
    created = {
        resource["Properties"]["GroupName"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Cognito::UserPoolGroup"
    }

    assert set(staff.GROUPS) == created


def test_a_temporary_password_meets_the_pools_policy(template: dict[str, Any]) -> None:
    policy = template["Resources"]["StaffUserPool"]["Properties"]["Policies"]["PasswordPolicy"]

    for _ in range(200):
        password = staff.temporary_password(policy)

        assert len(password) >= policy["MinimumLength"]
        assert re.search("[a-z]", password)
        assert re.search("[A-Z]", password)
        assert re.search("[0-9]", password)
        assert re.fullmatch(r"[A-Za-z0-9\-_.+=:]+", password), "types and pastes in a shell"


def test_a_new_account_is_in_its_group_and_must_change_its_password(pool: Pool) -> None:
    code, out, err = pool.run(
        "add",
        "--email",
        "  Lorena.Vidal@Taller.example ",
        "--group",
        "frontdesk",
        "--name",
        "Lorena Vidal",
        "--no-invite",
    )

    assert code == 0, err
    assert "added lorena.vidal@taller.example to frontdesk" in out
    assert "valid 7 days" in out
    assert out.count("Temporary password (shown once): ") == 1
    user = pool.user("lorena.vidal@taller.example")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert user["Enabled"] is True
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == "lorena.vidal@taller.example"
    assert attributes["email_verified"] == "true"
    assert attributes["name"] == "Lorena Vidal"
    assert pool.groups("lorena.vidal@taller.example") == {"frontdesk"}


def test_on_aws_cognito_emails_the_invitation_and_nothing_prints_the_password(pool: Pool) -> None:
    code, out, err = pool.run("add", "--email", "pablo@taller.example", "--group", "technician")

    assert code == 0, err
    assert "Cognito emailed them the invitation" in out
    assert "password (shown once)" not in out
    assert pool.user("pablo@taller.example")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert pool.groups("pablo@taller.example") == {"technician"}


def test_first_sign_in_chooses_a_new_password_and_then_signs_in_with_it(pool: Pool) -> None:
    temporary = pool.add("jorge@taller.example", "technician", "--name", "Jorge Técnico")

    code, out, err = pool.run("token", "--email", "jorge@taller.example", PASSWORD=temporary)

    assert code == 1
    assert out == ""
    assert err.strip() == (
        "staff: jorge@taller.example must choose a new password at first sign-in: run it in a "
        "terminal, or give NEW_PASSWORD in the environment"
    )

    code, out, err = pool.run(
        "token", "--email", "jorge@taller.example", PASSWORD=temporary, NEW_PASSWORD="Bancada-2026"
    )

    assert code == 0, err
    assert out.count("\n") == 1, "the token alone on stdout"
    token = out.strip()
    assert claims(token)["token_use"] == "id"
    assert claims(token)["email"] == "jorge@taller.example"
    assert claims(token)["cognito:groups"] == ["technician"]
    assert pool.user("jorge@taller.example")["UserStatus"] == "CONFIRMED"

    code, out, err = pool.run("token", "--email", "jorge@taller.example", PASSWORD="Bancada-2026")

    assert code == 0, err
    assert claims(out.strip())["email"] == "jorge@taller.example"


def test_a_new_password_the_policy_refuses_is_named_and_changes_nothing(pool: Pool) -> None:
    temporary = pool.add("jorge@taller.example", "technician")

    code, _, err = pool.run(
        "token", "--email", "jorge@taller.example", PASSWORD=temporary, NEW_PASSWORD="corta"
    )

    assert code == 1
    assert err.startswith("staff: the new password for jorge@taller.example was refused: ")
    assert err.count("\n") == 1
    assert pool.user("jorge@taller.example")["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_the_list_shows_each_account_with_groups_status_and_whether_enabled(pool: Pool) -> None:
    temporary = pool.add("marta@taller.example", "frontdesk", "--name", "Marta Recepción")
    pool.run(
        "token", "--email", "marta@taller.example", PASSWORD=temporary, NEW_PASSWORD="Mostrador-77"
    )
    pool.add("ana@taller.example", "admin", "--name", "Ana Administradora")
    pool.run("add", "--email", "ana@taller.example", "--group", "frontdesk")

    code, out, err = pool.run("list")

    assert code == 0, err
    rows = [re.split(r"\s{2,}", line) for line in out.splitlines()]
    assert rows == [
        ["email", "name", "groups", "status", "enabled"],
        ["ana@taller.example", "Ana Administradora", "admin,frontdesk", "FORCE_CHANGE_PASSWORD",
         "yes"],
        ["marta@taller.example", "Marta Recepción", "frontdesk", "CONFIRMED", "yes"],
    ]  # fmt: skip


def test_adding_an_existing_account_to_another_group_says_so(pool: Pool) -> None:
    pool.add("ana@taller.example", "admin")

    code, out, err = pool.run("add", "--email", "ana@taller.example", "--group", "frontdesk")

    assert code == 0, err
    assert out.strip() == (
        "ana@taller.example already had an account: added it to frontdesk (now in admin, "
        "frontdesk); its password and name are unchanged"
    )
    assert pool.groups("ana@taller.example") == {"admin", "frontdesk"}

    code, out, err = pool.run("add", "--email", "ana@taller.example", "--group", "admin")

    assert code == 0, err
    assert out.strip() == "ana@taller.example already has an account in admin: nothing changed"


def test_a_disabled_account_cannot_sign_in_and_its_refresh_tokens_are_revoked(pool: Pool) -> None:
    temporary = pool.add("pablo@taller.example", "technician")
    pool.run(
        "token", "--email", "pablo@taller.example", PASSWORD=temporary, NEW_PASSWORD="Soldador-2026"
    )
    refresh = pool.cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "pablo@taller.example", "PASSWORD": "Soldador-2026"},
    )["AuthenticationResult"]["RefreshToken"]

    code, out, err = pool.run("disable", "--email", "pablo@taller.example")

    assert code == 0, err
    assert out.startswith("disabled pablo@taller.example and revoked its refresh tokens")
    code, out, err = pool.run("token", "--email", "pablo@taller.example", PASSWORD="Soldador-2026")
    assert code == 1
    assert out == ""
    assert err == "staff: pablo@taller.example cannot sign in: User is disabled\n"
    with pytest.raises(pool.cognito.exceptions.NotAuthorizedException):
        pool.cognito.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh},
        )
    assert pool.run("list")[1].splitlines()[1].split()[-1] == "no"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["add", "--email", "nuevo@taller.example", "--group", "manager"],
            "staff: unknown group 'manager': give GROUP=frontdesk, technician or admin",
        ),
        (
            ["add", "--email", "nuevo@taller.example"],
            "staff: give GROUP=frontdesk, technician or admin",
        ),
        (
            ["add", "--email", "nuevo at taller.example", "--group", "frontdesk"],
            "staff: 'nuevo at taller.example' is not an email address: give EMAIL=name@example.com",
        ),
        (
            ["add", "--email", "nuevo@localhost", "--group", "frontdesk"],
            "staff: 'nuevo@localhost' is not an email address: give EMAIL=name@example.com",
        ),
        (
            ["add", "--group", "frontdesk"],
            "staff: give the account's email: EMAIL=name@example.com",
        ),
        (["disable"], "staff: give the account's email: EMAIL=name@example.com"),
    ],
)
def test_bad_input_is_refused_in_one_line_with_exit_2_and_creates_nothing(
    pool: Pool, argv: list[str], message: str
) -> None:
    code, out, err = pool.run(*argv)

    assert (code, out, err) == (2, "", message + "\n")
    assert pool.cognito.list_users(UserPoolId=pool.id)["Users"] == []


def test_failures_are_one_line_never_a_traceback(pool: Pool) -> None:
    temporary = pool.add("marta@taller.example", "frontdesk")
    pool.run(
        "token", "--email", "marta@taller.example", PASSWORD=temporary, NEW_PASSWORD="Mostrador-77"
    )

    wrong = pool.run("token", "--email", "marta@taller.example", PASSWORD="Mostrador-78")
    unknown = pool.run("token", "--email", "nadie@taller.example", PASSWORD="Mostrador-77")
    no_password = pool.run("token", "--email", "marta@taller.example")
    disable_unknown = pool.run("disable", "--email", "nadie@taller.example")

    assert wrong == (
        1,
        "",
        "staff: marta@taller.example cannot sign in: Incorrect username or password\n",
    )
    # AWS answers as for a wrong password (the client prevents user-existence errors); moto says
    # the account does not exist. Either way, one line.
    assert unknown[:2] == (1, "")
    assert unknown[2].startswith("staff: ")
    assert unknown[2].count("\n") == 1
    assert no_password == (
        2,
        "",
        "staff: give marta@taller.example's password: PASSWORD in the environment, or in a "
        "terminal\n",
    )
    assert disable_unknown == (
        1,
        "",
        "staff: no staff account nadie@taller.example in the qa stage's pool\n",
    )


def test_a_stage_without_a_stack_is_named(pool: Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO())

    code = staff.main(["--stage", "nope", "list"])

    assert code == 1
    assert pool.capsys.readouterr().err == (
        "staff: no stack orders-nope in us-east-1: deploy it (`make deploy STAGE=nope`) or give "
        "its region (REGION=...)\n"
    )


def test_locally_without_a_running_stack_it_says_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOCAL_STACK_FILE", str(tmp_path / ".local-stack.json"))

    code = staff.main(["token", "--email", "recepcion@taller.example"])

    assert code == 1
    assert capsys.readouterr().err == (
        "staff: no local stack (.local-stack.json is missing): start the stack with `make run` "
        "first\n"
    )


@dataclass
class LocalStack:
    """An emulator serving a pool with one demo user, and the state file `make run` would write."""

    emulator_url: str
    state: dict[str, Any]
    cognito: Any


@pytest.fixture
def local_stack(
    template: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalStack]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    emulator_url = f"http://{host}:{port}"
    cognito = boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=emulator_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    properties = template["Resources"]["StaffUserPool"]["Properties"]
    pool_id = cognito.create_user_pool(
        PoolName="orders-local-staff", **{name: properties[name] for name in POOL_PROPERTIES}
    )["UserPool"]["Id"]
    client = template["Resources"]["StaffUserPoolClient"]["Properties"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, **{name: client[name] for name in CLIENT_PROPERTIES}
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=pool_id, GroupName="frontdesk")
    demo = {
        "email": "recepcion@taller.example",
        "group": "frontdesk",
        "name": "Marta Recepción",
        "password": "Recepcion-4471",
    }
    cognito.admin_create_user(UserPoolId=pool_id, Username=demo["email"], MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=demo["email"], Password=demo["password"], Permanent=True
    )
    cognito.admin_add_user_to_group(
        UserPoolId=pool_id, Username=demo["email"], GroupName="frontdesk"
    )
    state = {
        "apiUrl": "http://127.0.0.1:3000",
        "emulatorUrl": emulator_url,
        "region": "us-east-1",
        "userPoolId": pool_id,
        "userPoolClientId": client_id,
        "demoUsers": [demo],
    }
    state_file = tmp_path / ".local-stack.json"
    state_file.write_text(json.dumps(state))
    monkeypatch.setenv("LOCAL_STACK_FILE", str(state_file))
    monkeypatch.delenv("PASSWORD", raising=False)
    monkeypatch.delenv("NEW_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())
    yield LocalStack(emulator_url, state, cognito)
    server.stop()


def test_locally_a_demo_user_signs_in_without_a_password(
    local_stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code = staff.main(["token", "--email", "recepcion@taller.example"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert claims(out.strip())["cognito:groups"] == ["frontdesk"]
    assert claims(out.strip())["aud"] == local_stack.state["userPoolClientId"]


def test_locally_a_new_account_gets_a_printed_password_and_no_invitation(
    local_stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code = staff.main(["add", "--email", "nuria@taller.example", "--group", "frontdesk"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Temporary password (shown once): " in out
    assert "make token EMAIL=nuria@taller.example" in out
    user = local_stack.cognito.admin_get_user(
        UserPoolId=local_stack.state["userPoolId"], Username="nuria@taller.example"
    )
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_locally_a_stopped_emulator_is_named(
    local_stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    (tmp_path / ".local-stack.json").write_text(
        json.dumps(local_stack.state | {"emulatorUrl": dead})
    )

    code = staff.main(["list"])

    assert code == 1
    assert capsys.readouterr().err == (
        f"staff: nothing answers at {dead}: start the stack with `make run` first\n"
    )
