// Everything a view needs to draw one frame, and the connection or replay status line.
import type { RowCache } from "../rows.ts";
import type { ConsoleState } from "../state.ts";
import type { Styles } from "../styles.ts";
import type { Ui } from "../ui.ts";

export interface Status {
  /** The address, or "replay FILE". */
  source: string;
  state: "connecting" | "connected" | "disconnected" | "replay" | "ended";
  /** Why disconnected and when the next try is, or the replay position. */
  detail: string;
}

export interface Scene {
  state: ConsoleState;
  ui: Ui;
  styles: Styles;
  rows: RowCache;
  status: Status;
}
