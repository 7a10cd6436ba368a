// A span's details, opened under its row: summary and status, attributes (tags), resource
// (process), events (logs), links (references). Every value is rendered as text.
import { formatDuration } from "../lib/format.ts";
import type { KeyValue } from "../lib/jaeger.ts";
import { Link, traceHref } from "../lib/router.tsx";
import { type SpanNode, type TraceModel, tagValue } from "../lib/trace-model.ts";

function KeyValues(props: { items: KeyValue[]; testId?: string }) {
  if (props.items.length === 0) return <p className="muted">none</p>;
  return (
    <table className="kv" data-testid={props.testId}>
      <tbody>
        {props.items.map((t, i) => (
          // Keys may repeat in hostile or sloppy input, so the index is part of the key.
          // biome-ignore lint/suspicious/noArrayIndexKey: static list, never reordered
          <tr key={`${t.key}:${i}`}>
            <th scope="row">{t.key}</th>
            <td className={`v-${t.type ?? "string"}`}>{formatValue(t)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function formatValue(t: KeyValue): string {
  if (typeof t.value === "string") return t.value;
  return JSON.stringify(t.value) ?? String(t.value);
}

export function SpanDetail(props: {
  node: SpanNode;
  model: TraceModel;
  onFocusSpan: (id: string, openDetail?: boolean) => void;
}) {
  const { node, model } = props;
  const span = node.span;
  const tags = span.tags ?? [];
  const process = model.trace.processes[span.processID];
  const statusCode = tagValue(tags, "otel.status_code") ?? (node.hasError ? "ERROR" : "UNSET");
  const statusDesc = tagValue(tags, "otel.status_description") ?? tagValue(tags, "error.message");
  const kind = tagValue(tags, "span.kind");
  const hidden = new Set(["otel.status_code", "otel.status_description", "span.kind"]);
  const attributes = tags.filter((t) => !hidden.has(t.key));
  // The reference that made the tree's parent is shown as the parent; the others are links.
  const parentId = node.parent?.span.spanID;
  const allRefs = span.references ?? [];
  const parentRef = allRefs.find((r) => r.spanID === parentId);
  const refs = allRefs.filter((r) => r !== parentRef);
  return (
    <div className="span-detail" data-testid="span-detail">
      <div className="detail-head">
        <strong className="op">{span.operationName}</strong>
        <span className="muted">
          {node.service} · {formatDuration(span.duration)} · starts at{" "}
          {formatDuration(span.startTime - model.start)}
          {kind ? ` · ${kind}` : ""} · span {span.spanID}
        </span>
        {node.parent && (
          <span className="muted">
            child of{" "}
            <button
              type="button"
              className="linkish"
              onClick={() => props.onFocusSpan(node.parent!.span.spanID, true)}
            >
              {`${node.parent.service}: ${node.parent.span.operationName}`}
            </button>
          </span>
        )}
        <span className={`status status-${statusCode.toLowerCase()}`} data-testid="span-status">
          {statusCode}
          {statusDesc ? `: ${statusDesc}` : ""}
        </span>
      </div>
      <div className="detail-grid">
        <section>
          <h4>Attributes</h4>
          <KeyValues items={attributes} testId="span-attributes" />
        </section>
        <section>
          <h4>Resource</h4>
          <KeyValues
            items={[
              { key: "service.name", type: "string", value: process?.serviceName ?? "unknown" },
              ...(process?.tags ?? []),
            ]}
            testId="span-resource"
          />
        </section>
      </div>
      <section>
        <h4>Events ({span.logs?.length ?? 0})</h4>
        {(span.logs ?? []).length === 0 && <p className="muted">none</p>}
        {(span.logs ?? []).map((log, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: events are shown in their recorded order
          <div key={i} className="event">
            <div className="event-time">+{formatDuration(log.timestamp - span.startTime)}</div>
            <KeyValues items={log.fields} />
          </div>
        ))}
      </section>
      <section>
        <h4>Links ({refs.length})</h4>
        {refs.length === 0 && <p className="muted">none</p>}
        <ul className="refs">
          {refs.map((r, i) => {
            const local = r.traceID === model.trace.traceID && model.byId.has(r.spanID);
            const target = model.byId.get(r.spanID);
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: references keep their order
              <li key={i}>
                <span className="chip">{r.refType}</span>{" "}
                {local ? (
                  <button
                    type="button"
                    className="linkish"
                    onClick={() => props.onFocusSpan(r.spanID, true)}
                  >
                    {target ? `${target.service}: ${target.span.operationName}` : r.spanID}
                  </button>
                ) : (
                  <Link to={traceHref(r.traceID)}>trace {r.traceID}</Link>
                )}{" "}
                <span className="muted">span {r.spanID}</span>
              </li>
            );
          })}
        </ul>
      </section>
      {(span.warnings ?? []).length > 0 && (
        <section>
          <h4>Warnings</h4>
          <ul>
            {(span.warnings ?? []).map((w, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: warnings keep their order
              <li key={i}>{w}</li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
