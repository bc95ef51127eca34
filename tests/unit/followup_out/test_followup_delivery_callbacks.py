"""Status callbacks: signed as Twilio signs them, and applied monotonically."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from channels.followup_out import (
    FollowUpChannel,
    OutgoingMessage,
    TwilioAccount,
    TwilioSender,
)
from tests.support.twilio_api import FakeTwilioApi, inbound_message_fields, post_signed


class _Webhook:
    """A local endpoint recording what was posted to it."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], str]] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                webhook.posts.append(
                    (self.path, dict(parse_qsl(body)), self.headers["X-Twilio-Signature"])
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )


@pytest.fixture
def webhook() -> Iterator[_Webhook]:
    hook = _Webhook()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


async def test_the_fake_api_posts_a_validly_signed_status_callback_for_a_sent_message(
    twilio_api: FakeTwilioApi,
    webhook: _Webhook,
    phone_follow_up: Callable[..., OutgoingMessage],
) -> None:
    callback = f"{webhook.url}/webhooks/twilio/status"
    account = TwilioAccount(
        twilio_api.account_sid, SecretStr(twilio_api.auth_token), twilio_api.base_url, 5
    )
    sender = TwilioSender(
        account, whatsapp_from="+14155238886", status_callback_url=callback, backoff_s=0
    )
    result = await sender.send(phone_follow_up(FollowUpChannel.WHATSAPP))
    assert result.provider_ref is not None

    response = await twilio_api.report_status(result.provider_ref, "delivered")

    assert response.status_code == 200
    [(path, fields, signature)] = webhook.posts
    assert path == "/webhooks/twilio/status"
    assert fields["MessageSid"] == result.provider_ref
    assert fields["MessageStatus"] == "delivered"
    assert fields["ChannelPrefix"] == "whatsapp"
    assert RequestValidator(twilio_api.auth_token).validate(callback, fields, signature)


async def test_an_inbound_whatsapp_reply_names_the_message_it_replies_to_and_is_signed(
    webhook: _Webhook,
) -> None:
    public = "https://gw.pharma.example/webhooks/twilio/whatsapp"
    fields = inbound_message_fields(
        "AC" + "2" * 32,
        sender="whatsapp:+4915112345678",
        to="whatsapp:+14155238886",
        body="Der Ausschlag begann am 3. März.",
        replied_to_sid="SM" + "f" * 32,
    )

    await post_signed(f"{webhook.url}/webhooks/twilio/whatsapp", fields, "tok", signed_url=public)

    [(_, posted, signature)] = webhook.posts
    assert posted["OriginalRepliedMessageSid"] == "SM" + "f" * 32
    assert posted["WaId"] == "4915112345678"
    assert RequestValidator("tok").validate(public, posted, signature)
