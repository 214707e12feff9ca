// Imports tests:gadget/gadget, which no host provides: loading it must fail and name the interface.
import { frob } from "tests:gadget/gadget@0.1.0";
import { broadcast } from "wasmind:actor/messaging@0.1.0";

class Actor {
  constructor(scope, config) {}
  handleMessage(message) {
    broadcast("test.Frob", new Uint8Array([frob()]));
  }
  destructor() {}
}

export const actor = { Actor };
