// A JavaScript actor built by ComponentizeJS with its default features (so it imports wasi:http):
// on `test.Fetch` {url, method?, body?, redirect?} it calls fetch() and broadcasts `test.Fetched`
// {status, header, body} or {error}; on `test.Sleep` {ms} it waits on a timer, then sends the same
// type {slept}. handleMessage returns the promise, so the component's event loop runs until it
// settles, within the call.
import { broadcast } from "wasmind:actor/messaging@0.1.0";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function send(value) {
  broadcast("test.Fetched", encoder.encode(JSON.stringify(value)));
}

async function fetchAndReport(request) {
  try {
    const init = { method: request.method || "GET", redirect: request.redirect || "follow" };
    if (request.body !== undefined) init.body = request.body;
    const response = await fetch(request.url, init);
    const body = await response.text();
    send({
      status: response.status,
      header: response.headers.get("x-test"),
      body: body.length > 1000 ? `${body.length} bytes` : body,
    });
  } catch (error) {
    send({ error: `${error.name}: ${error.message}` });
  }
}

class Actor {
  constructor(scope, config) {
    this.scope = scope;
  }

  handleMessage(message) {
    if (message.messageType === "test.Fetch") {
      return fetchAndReport(JSON.parse(decoder.decode(message.payload)));
    }
    if (message.messageType === "test.Sleep") {
      const ms = JSON.parse(decoder.decode(message.payload)).ms;
      return new Promise((resolve) => setTimeout(resolve, ms)).then(() => send({ slept: ms }));
    }
  }

  destructor() {}
}

export const actor = { Actor };
