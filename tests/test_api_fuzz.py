"""Schemathesis against /api/v1/openapi.json: the API does what its document says, or CI fails.

Two parts, each on both databases (the `app` fixture):

- every operation on its own, with the document's examples, boundary values and invalid input
  that schemathesis derives from it, then generated input; a few stored rows give the ids in
  paths something to find;
- chains through the links between operations (those the document declares, such as a new
  contact's id into GET, PATCH, PUT and DELETE /contacts/{contact_id}, and those schemathesis
  infers): create a contact, meeting, reminder or campaign, then read, change, preview, send,
  pause or delete what was made. Each chain starts from the same rows, and the test checks that
  the chains did reach things by their ids, up to sending a campaign.

Every answer is checked: no 5xx, a status code and content type the document names for the
operation, a body that matches the documented schema, headers as documented, invalid input
refused (negative data), an unknown method answered 405 with `Allow`, the token really needed
(each operation is also sent without it and with a wrong one), and a deleted resource gone.

One check is left out: `positive_data_acceptance`, which expects every body that fits the schema
to be accepted. JSON Schema cannot say that a meeting ends after it starts, that an address
belongs to a contact, or that a campaign's blocks pass its checks; those answers are a 422
naming the field, as the document says.

The run is derandomized and bounded (MAX_EXAMPLES per operation, CHAINS of at most CHAIN_STEPS
calls), so it finds the same things every time and stays well within three minutes for both
databases on two cores.
"""

from __future__ import annotations

import tempfile
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from service import create_app
from service.models import Consent, MeetingStatus, Role
from tests.api_helpers import make_token
from tests.builders import make_announcement, make_contact, make_meeting
from tests.conftest import _empty_tables

MAX_EXAMPLES = 25
CHAINS = 100
CHAIN_STEPS = 8
EXCLUDED_CHECKS = ["positive_data_acceptance"]
BOUNDED = {
    "derandomize": True,
    "deadline": None,
    "database": None,
    # Slow examples and large bodies are the point here; a health check must not stop the run.
    "suppress_health_check": list(HealthCheck),
    # No shrinking: a failure is reported as found (with a curl line to repeat it), so a failing
    # run takes no longer than a passing one instead of minutes more.
    "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
}


def _document() -> dict[str, Any]:
    """The OpenAPI document as the app serves it (writing it needs no database)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{folder}/unused.db",
                "INSTANCE_PATH": folder,
                "SECRET_KEY": "test-secret-key",
            }
        )
        return app.test_client().get("/api/v1/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_document())
schema.config.checks.update(excluded_check_names=EXCLUDED_CHECKS)
# The token is the test's own (a real one, in its database), never a generated header; the auth
# check still sends every operation without it and with a wrong one, and expects 401.
schema.config.generation.update(with_security_parameters=False)
# Schemathesis mixes literals read from the app's own Python source into what it generates; then
# moving a module or adding a string anywhere in service/ would change every run. The document
# alone decides what is generated.
schema.config.analysis.constants.enabled = False
# Chains are for what valid calls lead to; invalid input is the first part's job.
schema.config.phases.stateful.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])


def _stock(app) -> None:
    """A contact, a published meeting and a draft campaign, for ids in paths to find."""
    session = app.extensions["db_sessionmaker"]()
    try:
        make_contact(session, consent=Consent.GIVEN)
        make_meeting(session, status=MeetingStatus.PUBLISHED)
        make_announcement(session)
        session.commit()
    finally:
        session.close()


def _credentials(app) -> dict[str, Any]:
    """What every request of a test needs: its app (so its database) and an admin's token.

    An admin, because deleting a contact needs one.
    """
    token = make_token(app, "fuzz@example.nl", Role.ADMIN, language="en")
    return {"app": app, "headers": {"Authorization": f"Bearer {token}"}}


def _aim(document, call: dict[str, Any]) -> None:
    """Point the checks' own requests (without the token, another method...) at this test.

    The configured header is also what tells the auth check which header is the credential.
    """
    document.app = call["app"]
    document.config.update(headers=call["headers"])


@pytest.fixture(autouse=True)
def _same_input_in_every_process(monkeypatch):
    """The same generated input whichever other test modules this process has loaded.

    Hypothesis mixes constants from every loaded module of the project into what it generates,
    and which test modules a pytest-xdist process has loaded differs from run to run. Without
    this, a run could find what the next one misses. (Internal to Hypothesis: when it moves,
    this does nothing and the run is only less repeatable.)
    """
    try:
        from hypothesis.internal.conjecture import providers

        empty, cache = providers.Constants, providers.CONSTANTS_CACHE.cache
    except (ImportError, AttributeError):
        yield
        return
    monkeypatch.setattr(providers, "_get_local_constants", empty)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def call(app) -> dict[str, Any]:
    _stock(app)
    return _credentials(app)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, **BOUNDED)
def test_every_operation_keeps_to_the_document(case, call):
    _aim(case.operation.schema, call)
    case.call_and_validate(**call)


def test_chains_of_operations_keep_to_the_document(call):
    _aim(schema, call)
    engine = call["app"].extensions["db_engine"]
    answered: set[tuple[str, int]] = set()

    class Chains(schema.as_state_machine()):
        def setup(self):
            # Every chain starts from the same rows: Hypothesis replays chains while it explores,
            # and a chain must then get the same answers as the first time.
            _empty_tables(engine, keep=frozenset({"users", "api_tokens"}))
            _stock(call["app"])

        def get_call_kwargs(self, case):
            return call

        def after_call(self, response, case):
            answered.add((case.operation.label, response.status_code))

    Chains.run(settings=settings(max_examples=CHAINS, stateful_step_count=CHAIN_STEPS, **BOUNDED))

    # The chains really made things and went on to use them by id, for each kind of thing.
    assert {("POST /api/v1/contacts", 201), ("POST /api/v1/campaigns", 201)} <= answered
    for id_in_path in ("{contact_id}", "{meeting_id}", "{campaign_id}"):
        used = [(label, status) for label, status in answered if id_in_path in label]
        assert any(200 <= status < 300 for _label, status in used), (id_in_path, sorted(answered))
    # Up to the real thing: a campaign found in the list was sent.
    assert ("POST /api/v1/campaigns/{campaign_id}/send", 202) in answered, sorted(answered)
