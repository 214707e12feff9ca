"""A wasi:http client in Python: on ``test.Fetch`` {url} it GETs the URL with wasi:http and broadcasts
``test.Fetched`` {status, header, body} or {error}."""

import json
from urllib.parse import urlsplit

from componentize_py_types import Err, Ok
from wit_world.exports import actor as exported
from wit_world.imports import messaging, outgoing_handler, poll, types


def fetch(url: str) -> dict:
    parts = urlsplit(url)
    request = types.OutgoingRequest(types.Fields.from_list([("x-from", b"python")]))
    request.set_scheme(types.Scheme_Http() if parts.scheme == "http" else types.Scheme_Https())
    request.set_authority(parts.netloc)
    request.set_path_with_query(parts.path or "/")
    future = outgoing_handler.handle(request, None)
    poll.poll([future.subscribe()])
    outcome = future.get()
    if isinstance(outcome, Err) or isinstance(outcome.value, Err):
        return {"error": repr(outcome.value.value if isinstance(outcome, Ok) else outcome.value)}
    response = outcome.value.value
    header = response.headers().get("x-test")
    body = response.consume()
    stream = body.stream()
    data = b""
    while True:
        poll.poll([stream.subscribe()])
        try:
            data += stream.read(65536)
        except Err:
            break
    return {
        "status": response.status(),
        "header": header[0].decode() if header else None,
        "body": data.decode(),
    }


class Actor(exported.Actor):
    def __init__(self, scope: str, config: str) -> None:
        pass

    def handle_message(self, message) -> None:
        if message.message_type != "test.Fetch":
            return
        try:
            result = fetch(json.loads(message.payload)["url"])
        except Err as err:
            result = {"error": repr(err.value)}
        messaging.broadcast("test.Fetched", json.dumps(result).encode())

    def destructor(self) -> None:
        pass
