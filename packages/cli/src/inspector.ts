// A minimal Chrome DevTools Protocol client over Node's built-in WebSocket: enough to evaluate
// an expression in another Node process through its inspector, then go.

export class InspectorSession {
  readonly #ws: WebSocket;
  #next = 0;
  readonly #pending = new Map<number, (m: ProtocolReply) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener("message", (e) => {
      try {
        const m = JSON.parse(String(e.data)) as ProtocolReply;
        if (typeof m.id === "number") this.#pending.get(m.id)?.(m);
      } catch {
        // not a reply of ours
      }
    });
    ws.addEventListener("close", () => {
      for (const r of this.#pending.values())
        r({ error: { message: "inspector connection closed" } });
      this.#pending.clear();
    });
  }

  /** Connects to the first target the inspector at 127.0.0.1:port lists. */
  static async connect(port: number, timeoutMs: number): Promise<InspectorSession> {
    const list = (await (
      await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) })
    ).json()) as { webSocketDebuggerUrl?: string }[];
    const url = list[0]?.webSocketDebuggerUrl;
    if (url === undefined) throw new Error(`the inspector on port ${port} lists no target`);
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error("the inspector did not accept a session")),
        timeoutMs,
      );
      ws.addEventListener("open", () => {
        clearTimeout(t);
        resolve();
      });
      ws.addEventListener("error", () => {
        clearTimeout(t);
        reject(new Error("the inspector refused the session (is a debugger attached?)"));
      });
    });
    return new InspectorSession(ws);
  }

  /** Runtime.evaluate, awaiting a promise result; throws the target's exception text. */
  async evaluate(expression: string, timeoutMs: number): Promise<unknown> {
    const id = ++this.#next;
    const reply = await new Promise<ProtocolReply>((resolve) => {
      const t = setTimeout(
        () => resolve({ error: { message: `no answer within ${timeoutMs} ms` } }),
        timeoutMs,
      );
      this.#pending.set(id, (m) => {
        clearTimeout(t);
        this.#pending.delete(id);
        resolve(m);
      });
      this.#ws.send(
        JSON.stringify({
          id,
          method: "Runtime.evaluate",
          params: { expression, awaitPromise: true, returnByValue: true },
        }),
      );
    });
    if (reply.error !== undefined) throw new Error(reply.error.message);
    const ex = reply.result?.exceptionDetails;
    if (ex !== undefined) throw new Error(ex.exception?.description ?? ex.text ?? "exception");
    return reply.result?.result?.value;
  }

  close(): void {
    this.#ws.close();
  }
}

interface ProtocolReply {
  id?: number;
  error?: { message: string };
  result?: {
    result?: { value?: unknown };
    exceptionDetails?: { text?: string; exception?: { description?: string } };
  };
}
