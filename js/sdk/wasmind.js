// The helper JavaScript actors import as "wasmind" (docs/writing-actors-js.md): the JS counterpart of
// wasmind_sdk/actor.py and wasmind_sdk/tool.py, with the same wire format.
//
//   import { Tool, ToolError } from "wasmind";
//   class Shout extends Tool {
//     static tool = { name: "shout", description: "Upper-cases a text.", parameters: {...} };
//     call(args) { if (!args.text) throw new ToolError("text is empty"); return args.text.toUpperCase(); }
//   }
//   export const actor = { Actor: Shout };
import { broadcast as hostBroadcast } from "wasmind:actor/messaging@0.1.0";
import { log as hostLog } from "wasmind:actor/logger@0.1.0";
import {
  encodePayload,
  toolCallStatus,
  toolCallStatusUpdate,
  toolDefinition,
  toolsAvailable,
  types,
} from "./messages.js";
import { parseConfig } from "./toml.js";

export * from "./messages.js";
export { parseConfig };

/** Broadcast `broadcast(message)` (from a builder such as `toolsAvailable`) or `broadcast(type, value)`. */
export function broadcast(typeOrMessage, value) {
  if (typeof typeOrMessage === "string") {
    hostBroadcast(typeOrMessage, encodePayload(value));
  } else {
    hostBroadcast(typeOrMessage.type, encodePayload(typeOrMessage.value));
  }
}

/** Write to the host log; `level` is "debug", "info", "warn" or "error". */
export function log(level, text) {
  hostLog(level, String(text));
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A payload's JSON value (null when empty); throws a `MalformedPayload` for anything but UTF-8 JSON. */
export function parsePayload(payload) {
  if (!payload || payload.length === 0) return null;
  try {
    return JSON.parse(decoder.decode(payload));
  } catch (error) {
    throw new MalformedPayload(`not UTF-8 JSON: ${error.name}: ${error.message}`);
  }
}

export class MalformedPayload extends Error {
  name = "MalformedPayload";
}

/** Parse the actor's config (TOML text): the small subset configs use, see `parseConfig` below. */
function parseConfigOrWarn(text, label) {
  try {
    return parseConfig(text);
  } catch (error) {
    log("warn", `${label}: config not understood (${error.message}); this.configText has it`);
    return {};
  }
}

/**
 * The base class of an actor: `this.scope`, `this.config` (the config table), `this.configText`.
 * Register handlers in `setup()` with `this.on(type, handler, { ownScope })`; a handler gets the parsed
 * JSON payload and the envelope, and may return a promise (the call lasts until it settles).
 */
export class Actor {
  constructor(scope, config) {
    this.scope = scope;
    this.configText = config;
    this.config = config ? parseConfigOrWarn(config, new.target.name) : {};
    this.handlers = new Map();
    try {
      this.setup();
    } catch (error) {
      throw named(error);
    }
  }

  /** Called once at the end of the constructor. */
  setup() {}

  /** Call `handler(payload, envelope)` for messages of `type` (only from this scope with `ownScope`). */
  on(type, handler, { ownScope = false } = {}) {
    const list = this.handlers.get(type) ?? [];
    list.push({ handler, ownScope });
    this.handlers.set(type, list);
  }

  handleMessage(envelope) {
    const entries = this.handlers.get(envelope.messageType);
    if (!entries) return this.onMessage(envelope);
    const pending = [];
    for (const { handler, ownScope } of entries) {
      if (ownScope && envelope.fromScope !== this.scope) continue;
      let value;
      try {
        value = parsePayload(envelope.payload);
      } catch (error) {
        this.onDecodeError(envelope, error);
        continue;
      }
      let result;
      try {
        result = handler.call(this, value, envelope);
      } catch (error) {
        throw named(error);
      }
      if (result && typeof result.then === "function") pending.push(result);
    }
    if (pending.length) {
      return Promise.all(pending).then(
        () => undefined,
        (error) => {
          throw named(error);
        },
      );
    }
  }

  /** A payload that is not JSON: logged and skipped. Override to react differently. */
  onDecodeError(envelope, error) {
    log(
      "warn",
      `${this.constructor.name} in ${this.scope}: skipped a malformed ${envelope.messageType}: ${error.message}`,
    );
  }

  /** Messages no handler takes. Does nothing by default. */
  onMessage(envelope) {}

  destructor() {
    this.teardown();
  }

  /** Called once when the agent exits or the system shuts down. */
  teardown() {}
}

/** The engine prints only an uncaught error's message: put its name first, as Python's tracebacks do. */
function named(error) {
  if (error instanceof Error && !error.message.startsWith(`${error.name}: `)) {
    error.message = `${error.name}: ${error.message}`;
  }
  return error;
}

/** Throw from `call` to answer with an `Err` result: a message, or a full `toolCallResult(...)`. */
export class ToolError extends Error {
  name = "ToolError";
  constructor(error) {
    super(typeof error === "string" ? error : error.content);
    this.result = typeof error === "string" ? null : error;
  }
}

/**
 * A tool actor: set `static tool = { name, description, parameters }` and implement `call(args, request)`,
 * returning a string or a `toolCallResult(...)` (or a promise of one), or throwing `ToolError`.
 * An actor with several tools overrides `definitions()` and `callTool(name, args, request)`.
 */
export class Tool extends Actor {
  constructor(scope, config) {
    super(scope, config);
    const definitions = this.definitions();
    this.owned = new Set(definitions.map((definition) => definition.function.name));
    this.on(types.ExecuteToolCall, (request) => this.execute(request), { ownScope: true });
    broadcast(toolsAvailable(definitions));
  }

  /** The tools this actor offers (`toolDefinition(...)` values). */
  definitions() {
    const { name, description = "", parameters } = this.constructor.tool ?? {};
    if (!name) throw new Error(`${this.constructor.name}: set static tool = { name, description, parameters }`);
    return [toolDefinition(name, description, parameters)];
  }

  call(args, request) {
    throw new ToolError(`tool '${request.tool_call.function.name}' does not implement call()`);
  }

  /** Dispatch by tool name; the default calls `call`. */
  callTool(name, args, request) {
    return this.call(args, request);
  }

  execute(request) {
    const name = request.tool_call.function.name;
    if (!this.owned.has(name)) return;
    let args;
    try {
      args = JSON.parse(request.tool_call.function.arguments);
    } catch (error) {
      return this.reply(request, toolCallStatus.err(`invalid arguments for tool '${name}': ${error.message}`));
    }
    let result;
    try {
      result = this.callTool(name, args, request);
    } catch (error) {
      return this.reply(request, failure(name, error));
    }
    if (result && typeof result.then === "function") {
      return result.then(
        (value) => this.reply(request, toolCallStatus.ok(value)),
        (error) => this.reply(request, failure(name, error)),
      );
    }
    this.reply(request, toolCallStatus.ok(result));
  }

  /** Send a `ToolCallStatusUpdate` for `request` (a `toolCallStatus.*` value). */
  reply(request, value) {
    broadcast(toolCallStatusUpdate(value, request.tool_call.id, request.originating_request_id));
  }
}

function failure(name, error) {
  if (error instanceof ToolError) return toolCallStatus.err(error.result ?? error.message);
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return toolCallStatus.err(`tool '${name}' failed: ${text}`);
}
