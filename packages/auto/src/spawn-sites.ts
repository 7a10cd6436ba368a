// Spawn locations without a stack capture, Rust's #[track_caller] done at load time: a module's
// calls to @periscope/runtime's spawn() become spawnAt(site, ...), each site its own line and column.
import { type Node, parse } from "acorn";

const RUNTIME = "@periscope/runtime";
/** The names the transform adds; a module that already uses one is left alone. */
const PREFIX = "__ps$";

type AnyNode = Node & Record<string, unknown>;
interface Ident extends Node {
  type: "Identifier";
  name: string;
}
interface Edit {
  at: number;
  end: number;
  text: string;
}

const isNode = (v: unknown): v is AnyNode =>
  typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";

function children(n: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const k in n) {
    if (k === "loc") continue;
    const v = n[k];
    if (Array.isArray(v)) for (const x of v) isNode(x) && out.push(x);
    else if (isNode(v)) out.push(v);
  }
  return out;
}

function walk(n: AnyNode, visit: (n: AnyNode) => void): void {
  const stack = [n];
  while (stack.length > 0) {
    const x = stack.pop() as AnyNode;
    visit(x);
    for (const c of children(x)) stack.push(c);
  }
}

/** What the rewrite looks at, gathered in one walk of the module (the walk costs what the parse does). */
interface Gathered {
  decls: Ident[];
  calls: AnyNode[];
  consts: AnyNode[];
}

function gather(program: AnyNode): Gathered {
  const g: Gathered = { decls: [], calls: [], consts: [] };
  walk(program, (n) => {
    if (n.type === "CallExpression") g.calls.push(n);
    else if (n.type === "VariableDeclaration" && n.kind === "const") g.consts.push(n);
    declared(n, g.decls);
  });
  return g;
}

/** The identifiers a binding pattern declares. */
function patternNames(p: AnyNode | null | undefined, out: Ident[]): void {
  if (p == null) return;
  if (p.type === "Identifier") out.push(p as unknown as Ident);
  else if (p.type === "ObjectPattern")
    for (const q of p.properties as AnyNode[])
      patternNames((q.type === "RestElement" ? q.argument : q.value) as AnyNode, out);
  else if (p.type === "ArrayPattern") for (const q of p.elements as AnyNode[]) patternNames(q, out);
  else if (p.type === "RestElement") patternNames(p.argument as AnyNode, out);
  else if (p.type === "AssignmentPattern") patternNames(p.left as AnyNode, out);
}

/** The identifiers node `n` declares (imports, variables, functions, classes, params, catch). */
function declared(n: AnyNode, out: Ident[]): void {
  switch (n.type) {
    case "ImportSpecifier":
    case "ImportDefaultSpecifier":
    case "ImportNamespaceSpecifier":
      out.push(n.local as Ident);
      break;
    case "VariableDeclarator":
      patternNames(n.id as AnyNode, out);
      break;
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      if (n.id) out.push(n.id as Ident);
      for (const p of n.params as AnyNode[]) patternNames(p, out);
      break;
    case "ClassDeclaration":
    case "ClassExpression":
      if (n.id) out.push(n.id as Ident);
      break;
    case "CatchClause":
      patternNames(n.param as AnyNode | null, out);
      break;
  }
}

const isRuntime = (s: unknown): boolean => isNode(s) && s.type === "Literal" && s.value === RUNTIME;
const nameOf = (n: AnyNode): string | undefined =>
  n.type === "Identifier" ? (n.name as string) : n.type === "Literal" ? String(n.value) : undefined;

/**
 * The local names bound to the runtime's spawn (`import { spawn as s }`, `const { spawn } =
 * await import(...)`) and to the runtime's namespace (`import * as rt`, `const rt = await
 * import(...)`), each with the one declaration that binds it.
 */
function runtimeBindings(
  program: AnyNode,
  consts: AnyNode[],
): { fns: Map<string, Ident>; nss: Map<string, Ident> } {
  const fns = new Map<string, Ident>();
  const nss = new Map<string, Ident>();
  for (const st of program.body as AnyNode[]) {
    if (st.type !== "ImportDeclaration" || !isRuntime(st.source)) continue;
    for (const sp of st.specifiers as AnyNode[]) {
      const local = sp.local as Ident;
      if (sp.type === "ImportNamespaceSpecifier") nss.set(local.name, local);
      else if (sp.type === "ImportSpecifier" && nameOf(sp.imported as AnyNode) === "spawn")
        fns.set(local.name, local);
    }
  }
  for (const n of consts) {
    for (const d of n.declarations as AnyNode[]) {
      const init = d.init as AnyNode | null;
      const imp = init?.type === "AwaitExpression" ? (init.argument as AnyNode) : undefined;
      if (imp?.type !== "ImportExpression" || !isRuntime(imp.source) || imp.options) continue;
      const id = d.id as AnyNode;
      if (id.type === "Identifier") nss.set((id as unknown as Ident).name, id as unknown as Ident);
      else if (id.type === "ObjectPattern")
        for (const p of id.properties as AnyNode[]) {
          const v = p.value as AnyNode | undefined;
          if (p.type === "Property" && !p.computed && nameOf(p.key as AnyNode) === "spawn")
            if (v?.type === "Identifier")
              fns.set((v as unknown as Ident).name, v as unknown as Ident);
        }
    }
  }
  return { fns, nss };
}

const LINE_BREAK = /\r\n?|\n|\u2028|\u2029/g;

/**
 * `text` in place of a node that may span lines (`rt\n  .spawn`): its line breaks are kept, so
 * every later line keeps its number, and the text is padded to end where the node ended.
 */
function keepLines(source: string, n: AnyNode, text: string): string {
  const lines = source.slice(n.start, n.end).split(LINE_BREAK);
  if (lines.length === 1) return text;
  const last = (lines[lines.length - 1] as string).length;
  return "\n".repeat(lines.length - 1) + " ".repeat(Math.max(0, last - text.length)) + text;
}

/**
 * Rewrites the module's calls of the runtime's spawn so each passes its own call site, or returns
 * undefined when there is none to rewrite (or the module cannot be read soundly: then spawn()
 * captures its location as without the transform). A name counts only if the module declares
 * it once, in the import itself: a shadowing declaration anywhere leaves that name's calls alone.
 * Lines and columns are the original source's (a call's column is where V8 puts it: the callee
 * name, or the member name for `rt.spawn(...)`); the rewrite adds text only on the lines of the
 * calls it changes, and its helpers at the end of the module.
 */
export function transformSpawnCalls(source: string): string | undefined {
  if (!source.includes(RUNTIME) || !source.includes("spawn") || source.includes(PREFIX))
    return undefined;
  let program: AnyNode;
  try {
    program = parse(source, {
      ecmaVersion: "latest",
      sourceType: "module",
      locations: true,
      allowHashBang: true,
    }) as unknown as AnyNode;
  } catch {
    return undefined;
  }
  const g = gather(program);
  const { fns, nss } = runtimeBindings(program, g.consts);
  if (fns.size === 0 && nss.size === 0) return undefined;
  for (const d of g.decls) {
    for (const m of [fns, nss]) {
      const own = m.get(d.name);
      if (own !== undefined && own !== d) m.delete(d.name);
    }
  }
  const edits: Edit[] = [];
  const lineCols: number[] = [];
  for (const n of g.calls) {
    if (n.optional) continue;
    const callee = n.callee as AnyNode;
    let at: AnyNode | undefined;
    if (callee.type === "Identifier" && fns.has(callee.name as string)) at = callee;
    else if (
      callee.type === "MemberExpression" &&
      !callee.computed &&
      !callee.optional &&
      (callee.object as AnyNode).type === "Identifier" &&
      nss.has((callee.object as AnyNode).name as string) &&
      nameOf(callee.property as AnyNode) === "spawn"
    )
      at = callee.property as AnyNode;
    if (at?.loc == null) continue;
    const site = lineCols.length / 2;
    lineCols.push(at.loc.start.line, at.loc.start.column + 1);
    const args = n.arguments as AnyNode[];
    const first = args[0];
    edits.push({
      at: callee.start,
      end: callee.end,
      text: keepLines(source, callee, `${PREFIX}spawnAt`),
    });
    edits.push({
      at: first === undefined ? n.end - 1 : first.start,
      end: first === undefined ? n.end - 1 : first.start,
      text: `${PREFIX}s(${site})${first === undefined ? "" : ", "}`,
    });
  }
  if (edits.length === 0) return undefined;
  // In source order; at one position an insertion goes before a replacement (a spawn call as
  // another's first argument).
  edits.sort((a, b) => a.at - b.at || a.end - a.at - (b.end - b.at));
  let out = "";
  let pos = 0;
  for (const e of edits) {
    out += source.slice(pos, e.at) + e.text;
    pos = e.end;
  }
  out += source.slice(pos);
  return `${out}\n;import { spawnAt as ${PREFIX}spawnAt, siteTable as ${PREFIX}sites } from "${RUNTIME}";\nvar ${PREFIX}t; function ${PREFIX}s(i) { return (${PREFIX}t ??= ${PREFIX}sites(import.meta.url, [${lineCols.join(",")}]))[i]; }\n`;
}
