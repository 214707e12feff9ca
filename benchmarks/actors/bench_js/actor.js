// Benchmark actor, the JavaScript twin of ../bench/actor.py: counts bench.Fanout, answers bench.Ping
// from its own scope.
import { Actor, broadcast } from "wasmind";

class Counter extends Actor {
  setup() {
    this.seen = 0;
    this.on("bench.Fanout", () => {
      this.seen += 1;
    });
    this.on("bench.Ping", () => broadcast("bench.Pong", { seen: this.seen }), { ownScope: true });
  }
}

export const actor = { Actor: Counter };
