import { Actor, broadcast } from "wasmind";

class Fetcher extends Actor {
  setup() {
    this.on("test.Fetch", async ({ url }) => {
      try {
        const response = await fetch(url);
        broadcast("test.Fetched", { status: response.status, body: await response.text() });
      } catch (error) {
        broadcast("test.Fetched", { error: `${error.name}: ${error.message}` });
      }
    });
  }
}

export const actor = { Actor: Fetcher };
