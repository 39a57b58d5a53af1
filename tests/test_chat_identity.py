"""Who uses a chat event signed in with a key (issue #14, ui/chat/identity.py): the
running app's real login, then the chat's handlers with that session's request.

The key's record decides, per Gradio session: its groups are what the user reads, its
admin flag whether they administer. The user name is free, so two people typing the
same name with different keys stay apart; a revoked key reads only "alla" at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from starlette.requests import Request

from knowledge.access import Access
from tests.access_docs import DOC_A, DOC_B, GROUP_A, write_documents
from tests.chat_session import signed_in_request
from tests.conftest import make_settings
from tests.http_server import serve_app
from ui.app.keys import KeyStore
from ui.app.services import Services, build_services
from ui.chat.handlers import Handlers
from ui.server import create_app


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Services, dict[str, str]]]:
    """The app with A's and B's documents, and three key records: a member of A, an
    administrator, and a key of "alla" only."""
    folder = tmp_path_factory.mktemp("chat-identity")
    settings = make_settings(folder / "store", embedder="hash")
    store = KeyStore(folder / "store" / "keys.json")
    keys = {
        "a": store.create("medlem-a", [GROUP_A], admin=False),
        "admin": store.create("admin", [], admin=True),
        "alla": store.create("alla", [], admin=False),
    }
    services = build_services(settings)
    assert services.kb.ingest([write_documents(folder / "docs")]).ok
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GRADIO_TEMP_DIR", raising=False)  # the chat sets it for the process
        with serve_app(create_app(settings, services)) as url:
            yield url, services, keys


def listed(handlers: Handlers, request: gr.Request) -> set[str]:
    return {d.doc_id for d in handlers.kb.documents(handlers.reader(request))}


def test_a_key_session_reads_its_records_groups(
    served: tuple[str, Services, dict[str, str]],
) -> None:
    url, services, keys = served
    handlers = Handlers(services)
    member = signed_in_request(url, "Anna", keys["a"])
    admin = signed_in_request(url, "Anna", keys["admin"])  # the same name, another key
    alla = signed_in_request(url, "Bo", keys["alla"])
    assert listed(handlers, member) == {DOC_A}
    assert listed(handlers, admin) == {DOC_A, DOC_B}
    assert listed(handlers, alla) == set()
    assert handlers.identity(admin).admin and not handlers.identity(member).admin
    assert handlers.admin_panel_shown(member)["visible"] is False
    assert handlers.admin_panel_shown(admin)["visible"] is True
    refused = handlers.remove(DOC_A, member)
    assert "inte administratör" in refused
    assert DOC_A in {d.doc_id for d in services.kb.documents(Access.everything())}
    assert "inte administratör" in handlers.upload(["x.md"], request=member)[0]


def test_the_session_is_the_cookies_not_the_name(
    served: tuple[str, Services, dict[str, str]],
) -> None:
    """A request naming the admin's user name without the admin's cookie, or with a
    cookie Gradio never set, reads only "alla" and does not administer."""
    url, services, keys = served
    handlers = Handlers(services)
    signed_in_request(url, "Berit", keys["admin"])
    scope = {
        "type": "http",
        "headers": [(b"cookie", b"access-token-x=not-a-session")],
        "client": ("127.0.0.1", 0),
    }
    stranger = gr.Request(request=Request(scope), username="Berit")
    assert listed(handlers, stranger) == set()
    assert not handlers.identity(stranger).admin
    assert "inte administratör" in handlers.remove(DOC_A, stranger)


def test_a_revoked_key_stops_at_once(
    served: tuple[str, Services, dict[str, str]], tmp_path: Path
) -> None:
    url, services, _ = served
    store = KeyStore(services.settings.data_dir / "keys.json")
    key = store.create("kortlivad", [GROUP_A], admin=True)
    handlers = Handlers(services)
    request = signed_in_request(url, "Cecilia", key)
    assert handlers.identity(request).admin
    store.revoke("kortlivad")
    assert not handlers.identity(request).admin and listed(handlers, request) == set()


def test_an_open_chat_has_no_administrator(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "store",
        embedder="hash",
        chat={"sign_in": "open"},
        admin_keys=["admin-key-0123456789abcdef"],
    )
    handlers = Handlers(build_services(settings))
    request = gr.Request(
        request=Request({"type": "http", "headers": [], "client": ("127.0.0.1", 0)})
    )
    assert not handlers.identity(request).admin
    assert "inte administratör" in handlers.remove(DOC_A, request)
