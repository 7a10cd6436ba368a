// Tabs that pick one of a page's views; the page keeps the choice in its URL (?view=…).
export function ViewSwitcher(props: {
  views: ReadonlyArray<readonly [string, string]>;
  current: string;
  onPick: (view: string) => void;
}) {
  return (
    <div className="view-switcher" role="tablist" aria-label="Trace views">
      {props.views.map(([id, label]) => (
        <button
          key={id}
          type="button"
          role="tab"
          aria-selected={props.current === id}
          className={props.current === id ? "tab active" : "tab"}
          data-view={id}
          onClick={() => props.onPick(id)}
        >
          {label}
        </button>
      ))}
    </div>
  );
}
