// One frame: the current view rendered to exactly `height` lines of exactly `width` cells.
import { helpView } from "./help.ts";
import { resourceView } from "./resource.ts";
import { resourcesView } from "./resources.ts";
import type { Scene } from "./scene.ts";
import { taskView } from "./task.ts";
import { tasksView } from "./tasks.ts";
import { compose } from "./text.ts";

export const MIN_WIDTH = 40;
export const MIN_HEIGHT = 10;

export function renderFrame(sc: Scene, width: number, height: number): string[] {
  if (width < MIN_WIDTH || height < MIN_HEIGHT) {
    const lines = [
      compose(
        [[`terminal too small (${width}x${height}); need ${MIN_WIDTH}x${MIN_HEIGHT}`]],
        width,
        sc.styles,
      ),
    ];
    while (lines.length < height) lines.push(" ".repeat(width));
    return lines.slice(0, height);
  }
  if (sc.ui.help) return helpView(sc, width, height);
  switch (sc.ui.view) {
    case "tasks":
      return tasksView(sc, width, height);
    case "resources":
      return resourcesView(sc, width, height);
    case "task":
      return taskView(sc, width, height);
    case "resource":
      return resourceView(sc, width, height);
  }
}
