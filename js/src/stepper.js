// Pause / resume / step controls and the "paused at ..." line, from the model's `bus` state
// (wasmind_nb/notebook/bus_controls.py). The buttons send {kind: "bus", action} to the kernel.
import { h } from "./format.js";

/** The line under the buttons: `paused at #12 demo.Ping from echo in 000000 · 3 held · paused`. */
export function busText(bus) {
  if (!bus || !bus.available) return "";
  let text = "running";
  if (bus.paused) {
    text = bus.at ? `paused at ${bus.at} · ${bus.held} held · ${bus.reason}` : `paused (${bus.reason}) · nothing held`;
  }
  if (bus.stepping) text += " · stepping…";
  if (bus.error) text += ` · ${bus.error}`;
  return text;
}

export class Stepper {
  constructor(model) {
    this.model = model;
    this.el = h("span", "wm-stepper");
    this.pause = this.button("pause", "hold every new message (nothing is lost)", "pause");
    this.resume = this.button("resume", "deliver what is held and run on, to the next breakpoint", "resume");
    this.step = this.button("step", "deliver the next held message to every actor that receives it", "step");
    this.line = h("span", "wm-bus");
    this.el.append(this.pause, this.resume, this.step, this.line);
    this.onChange = () => this.update();
    model.on("change:bus", this.onChange);
    this.update();
  }

  button(label, title, action) {
    const button = h("button", "wm-button", label);
    button.title = title;
    button.dataset.bus = action;
    button.addEventListener("click", () => this.model.send({ kind: "bus", action, n: 1 }));
    return button;
  }

  update() {
    const bus = this.model.get("bus") ?? {};
    this.el.hidden = !bus.available;
    this.pause.disabled = Boolean(bus.paused);
    this.resume.disabled = !bus.paused;
    this.step.disabled = !bus.paused || Boolean(bus.stepping);
    this.line.textContent = busText(bus);
    this.line.title = this.line.textContent;
    const d = this.el.dataset;
    d.paused = String(Boolean(bus.paused));
    d.held = String(bus.held ?? 0);
    d.seq = String(bus.seq ?? -1);
  }

  destroy() {
    this.model.off("change:bus", this.onChange);
  }
}
