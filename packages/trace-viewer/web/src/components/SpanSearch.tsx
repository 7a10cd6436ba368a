// Search within a trace: matching spans are highlighted, the others dimmed; Enter or the arrows
// step through the matches. Names and values match; the Keys toggle lets attribute keys match too.
export function SpanSearch(props: {
  query: string;
  onQuery: (q: string) => void;
  keys: boolean;
  onKeys: (keys: boolean) => void;
  count: number;
  index: number;
  onStep: (delta: number) => void;
}) {
  return (
    <div className="span-search">
      <input
        type="search"
        placeholder="Find in trace…"
        aria-label="Find in trace"
        value={props.query}
        onChange={(e) => props.onQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") props.onStep(e.shiftKey ? -1 : 1);
        }}
      />
      <label className="inline check" title="Also match attribute and event keys">
        <input
          type="checkbox"
          checked={props.keys}
          onChange={(e) => props.onKeys(e.target.checked)}
        />
        Keys
      </label>
      {props.query && (
        <span className="muted" data-testid="match-count">
          {props.count === 0 ? "no match" : `${props.index + 1} of ${props.count}`}
        </span>
      )}
      <button
        type="button"
        className="btn small"
        aria-label="Previous match"
        disabled={props.count === 0}
        onClick={() => props.onStep(-1)}
      >
        ↑
      </button>
      <button
        type="button"
        className="btn small"
        aria-label="Next match"
        disabled={props.count === 0}
        onClick={() => props.onStep(1)}
      >
        ↓
      </button>
    </div>
  );
}
