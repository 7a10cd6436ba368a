// Garbage-collection pauses as a console resource (node::gc): how many, their total and the
// longest, from perf_hooks' gc entries (which Node produces only while someone observes them).
import { PerformanceObserver } from "node:perf_hooks";
import { Resource } from "@periscope/runtime";

/** Starts recording GC pauses; returns the function that stops it. */
export function watchGc(): () => void {
  const res = new Resource({ target: "node::gc", concreteType: "node::GC", kind: "GC" });
  if (!res.enabled) return () => {};
  let max = 0;
  const obs = new PerformanceObserver((list) => {
    try {
      let total = 0;
      let n = 0;
      for (const e of list.getEntries()) {
        total += e.duration;
        n++;
        if (e.duration > max) max = e.duration;
      }
      if (n === 0) return;
      res.update("pauses", n, "add");
      res.update("pause_total", Math.round(total * 1000), "add", "µs");
      res.update("pause_max", Math.round(max * 1000), "override", "µs");
    } catch {
      // instrumentation never throws into the program
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  return () => {
    obs.disconnect();
    res.close();
  };
}
