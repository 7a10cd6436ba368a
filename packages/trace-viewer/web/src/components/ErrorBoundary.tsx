// Last line of defence: a page that throws while rendering shows a sentence and a way back
// instead of a blank screen.
import { Component, type ReactNode } from "react";

export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <main className="page narrow">
        <div className="error-box" role="alert">
          This page failed to render: {this.state.error.message}. The data may be malformed; go back
          to <a href="/search">Search</a>, or report it with the trace JSON.
        </div>
      </main>
    );
  }
}
