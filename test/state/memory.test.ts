import { memoryStore } from "../../runtime/state/index.js";
import { conformance } from "./conformance.js";

conformance("memory", () => ({ open: async (clock) => memoryStore({ clock }), runs: 100 }));
