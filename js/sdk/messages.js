// The common Wasmind messages as plain JSON values, byte for byte what wasmind_sdk/messages.py sends.
// No imports: this module runs in Node (tests) as well as inside a component.

export const types = Object.freeze({
  ActorReady: "wasmind.common.actors.ActorReady",
  AllActorsReady: "wasmind.common.actors.AllActorsReady",
  AgentSpawned: "wasmind.common.actors.AgentSpawned",
  Exit: "wasmind.common.actors.Exit",
  AddMessage: "wasmind.common.assistant.AddMessage",
  StatusUpdate: "wasmind.common.assistant.StatusUpdate",
  RequestStatusUpdate: "wasmind.common.assistant.RequestStatusUpdate",
  SystemPromptContribution: "wasmind.common.assistant.SystemPromptContribution",
  ToolsAvailable: "wasmind.common.tools.ToolsAvailable",
  ExecuteToolCall: "wasmind.common.tools.ExecuteToolCall",
  ToolCallStatusUpdate: "wasmind.common.tools.ToolCallStatusUpdate",
  UserNotification: "wasmind.common.ui.UserNotification",
});

/** A message to broadcast: its type and its JSON value. */
function message(type, value) {
  return { type, value };
}

/** `{type: "function", function: {name, description, parameters}}`, as `ToolsAvailable` lists it. */
export function toolDefinition(name, description, parameters = { type: "object", properties: {} }) {
  return { type: "function", function: { name, description, parameters } };
}

export function toolsAvailable(tools) {
  return message(types.ToolsAvailable, { tools });
}

/**
 * A `ToolCallResult`: `content` for the model; for people `collapsed` (default: the first line, at most
 * 100 characters) and `expanded` (default: the content, or null when it equals `collapsed`).
 */
export function toolCallResult(content, collapsed, expanded) {
  if (collapsed === undefined) {
    const first = content.split("\n", 1)[0];
    collapsed = [...first].length <= 100 ? first : [...first].slice(0, 99).join("") + "…";
  }
  if (expanded === undefined) expanded = content === collapsed ? null : content;
  return { content, ui_display_info: { collapsed, expanded } };
}

function asResult(result) {
  return typeof result === "string" ? toolCallResult(result) : result;
}

/** The `ToolCallStatus` variants. */
export const toolCallStatus = Object.freeze({
  received: (collapsed, expanded = null) => ({ Received: { display_info: { collapsed, expanded } } }),
  awaitingSystem: (collapsed, expanded = null, requiredScope = null) => ({
    AwaitingSystem: {
      details: { required_scope: requiredScope, ui_display_info: { collapsed, expanded } },
    },
  }),
  ok: (result) => ({ Done: { result: { Ok: asResult(result) } } }),
  err: (result) => ({ Done: { result: { Err: asResult(result) } } }),
});

export function toolCallStatusUpdate(status, id, originatingRequestId) {
  return message(types.ToolCallStatusUpdate, { status, id, originating_request_id: originatingRequestId });
}

/** The assistant's `Status` variants (`done` ends the agent when requested for its own scope). */
export const status = Object.freeze({
  processing: (requestId) => ({ Processing: { request_id: requestId } }),
  done: (summary, success = true) => ({ Done: { result: { Ok: { summary, success } } } }),
  failed: (error) => ({ Done: { result: { Err: error } } }),
});

export function statusUpdate(value) {
  return message(types.StatusUpdate, { status: value });
}

export function requestStatusUpdate(agent, value, originatingRequestId = null) {
  return message(types.RequestStatusUpdate, {
    agent,
    status: value,
    originating_request_id: originatingRequestId,
  });
}

/** `level` is "Info", "Warning" or "Error". */
export function userNotification(level, title, text, source = null) {
  return message(types.UserNotification, { level, title, message: text, source });
}

/** A user (`role = "user"`) or system message for the assistant of scope `agent`. */
export function addMessage(agent, content, role = "user") {
  return message(types.AddMessage, { agent, message: { role, content } });
}

/** A text for the system prompt of the assistant in scope `agent`, under `key` ("actor:name"). */
export function systemPromptContribution(agent, key, text, priority = 0, section = null) {
  return message(types.SystemPromptContribution, {
    agent,
    key,
    content: { Text: text },
    priority,
    section,
  });
}

export function exit() {
  return message(types.Exit, null);
}

const encoder = new TextEncoder();

/** Wire bytes: a Uint8Array as is, a string as UTF-8, anything else as compact JSON (undefined: null). */
export function encodePayload(value) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encoder.encode(value);
  return encoder.encode(JSON.stringify(value === undefined ? null : value));
}
