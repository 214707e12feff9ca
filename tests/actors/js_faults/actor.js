import { Actor, broadcast } from "wasmind";
import { explain } from "./reasons.js";

class Faulty extends Actor {
  setup() {
    this.mode = this.config.fail ?? "none";
    if (this.mode === "constructor") throw new Error(explain("constructor"));
    this.on("test.Fail", () => this.fail());
    this.on("test.Ping", (payload) => broadcast("test.Pong", { from: this.scope, got: payload }));
  }

  fail() {
    if (this.mode === "handler") throw new TypeError(explain("handler"));
    if (this.mode === "reject") return Promise.reject(new RangeError(explain("promise")));
    if (this.mode === "loop") for (;;) {}
  }
}

export const actor = { Actor: Faulty };
