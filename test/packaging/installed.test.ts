// What is published is what users get: packs every public workspace with `npm pack` (which builds
// dist/ and the viewer's web UI at prepack), installs the tarballs into a fresh app outside the
// repository, and runs that app as a user would on Node 24 and Node 22: ESM import, require(),
// a strict TypeScript consumer, the installed `periscope viewer` and `mini-redis-server`, and an
// unchanged node:http service under `node --import @periscope/auto` and `periscope attach PID`.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { freePort, get, Proc, redisPing, sh, until, userEnv } from "./helpers.ts";

const root = join(import.meta.dirname, "..", "..");
const fixtures = join(import.meta.dirname, "app");
const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  workspaces: string[];
  devDependencies: Record<string, string>;
};
const published = rootPkg.workspaces.filter(
  (dir) => !(JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as Manifest).private,
);

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
}
interface PackResult {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

const work = mkdtempSync(join(tmpdir(), "periscope-installed-"));
after(() => rmSync(work, { recursive: true, force: true }));
const tarballs = join(work, "tarballs");
const app = join(work, "app");
const node22Dir = join(work, "node22");
let packs: PackResult[] = [];
let node22 = "";

test("the packed, installed packages work in a fresh app on Node 24 and 22", {
  timeout: 900_000,
}, async (t) => {
  await t.test("npm pack: every public workspace, with only what a user needs", async () => {
    mkdirSync(tarballs);
    mkdirSync(node22Dir);
    writeFileSync(join(node22Dir, "package.json"), '{"private":true}\n');
    // The Node 22 binary downloads while the packages build.
    // PERISCOPE_PACK_NODE22=22.13.0 (say) checks an older 22.x than the latest.
    const node22Spec = `node@${process.env.PERISCOPE_PACK_NODE22 ?? "22"}`;
    const gettingNode22 = sh("npm", ["i", "--no-audit", "--no-fund", node22Spec], node22Dir);
    const args = ["pack", "--json", "--pack-destination", tarballs];
    for (const dir of published) args.push("--workspace", dir);
    // Lifecycle output (tsc, vite) shares stdout with the JSON, which comes last.
    const { stdout } = await sh("npm", args, root, { ...userEnv(), PATH: process.env.PATH ?? "" });
    packs = JSON.parse(stdout.slice(stdout.lastIndexOf("\n[\n") + 1)) as PackResult[];
    await gettingNode22;
    node22 = join(node22Dir, "node_modules", "node", "bin", "node");

    assert.equal(packs.length, published.length);
    const versions = new Set<string>();
    const rows: string[] = [];
    for (const p of packs) {
      const files = p.files.map((f) => f.path);
      const manifest = JSON.parse(
        readFileSync(join(root, published[packs.indexOf(p)]!, "package.json"), "utf8"),
      ) as Manifest;
      versions.add(manifest.version);
      for (const need of [
        "LICENSE",
        "README.md",
        "package.json",
        "dist/index.js",
        "dist/index.d.ts",
      ]) {
        assert.ok(files.includes(need), `${p.name} ships ${need}`);
      }
      const stray = files.filter(
        (f) =>
          /(^|\/)(test|tests|bench|fixtures|src)\//.test(f) ||
          /\.test\.|tsbuildinfo|tsconfig/.test(f) ||
          (f.endsWith(".ts") && !f.endsWith(".d.ts")),
      );
      assert.deepEqual(stray, [], `${p.name} ships no tests, sources or build files`);
      rows.push(
        `${p.name.padEnd(34)} ${(p.size / 1024).toFixed(1).padStart(7)} kB packed, ${p.entryCount} files`,
      );
    }
    assert.deepEqual([...versions].length, 1, "one version for the whole family");
    const viewer = packs.find((p) => p.name === "@periscope/trace-viewer")!;
    assert.ok(
      viewer.files.some((f) => f.path === "web/dist/index.html"),
      "the viewer's web UI is in its tarball",
    );
    t.diagnostic(`tarballs:\n${rows.join("\n")}`);

    // The release procedure's last step, dry: npm accepts every manifest for publishing.
    const { stdout: dry, stderr } = await sh(
      "npm",
      ["publish", "--workspaces", "--dry-run", "--ignore-scripts"],
      root,
    );
    for (const p of packs) assert.match(dry, new RegExp(`\\+ ${p.name}@`), `${p.name}: ${stderr}`);
  });

  await t.test("npm i of the tarballs into an app outside the repository", async () => {
    mkdirSync(app);
    for (const f of [
      "app.mjs",
      "app.cjs",
      "server.mjs",
      "watch.mjs",
      "consumer.ts",
      "tsconfig.json",
    ]) {
      cpSync(join(fixtures, f), join(app, f));
    }
    const deps: Record<string, string> = {};
    for (const p of packs) deps[p.name] = `file:../tarballs/${p.filename.split("/").pop()}`;
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify(
        {
          name: "someone-elses-app",
          private: true,
          type: "module",
          dependencies: deps,
          // Never fetch an @periscope package from the registry: only these tarballs count.
          overrides: deps,
          devDependencies: {
            typescript: rootPkg.devDependencies.typescript!,
            "@types/node": rootPkg.devDependencies["@types/node"]!,
          },
        },
        null,
        2,
      ),
    );
    await sh("npm", ["i", "--no-audit", "--no-fund"], app);
  });

  await t.test("a strict TypeScript consumer type-checks (nodenext, no skipLibCheck)", async () => {
    await sh(
      process.execPath,
      [join(app, "node_modules", "typescript", "bin", "tsc"), "-p", "."],
      app,
    );
  });

  for (const which of ["24", "22"]) {
    await t.test(
      `Node ${which}: import, require, the console, OTLP, the viewer, auto, attach, mini-redis`,
      async () => {
        const node = which === "24" ? process.execPath : node22;
        const { stdout: version } = await sh(node, ["--version"], app);
        assert.match(version, new RegExp(`^v${which}\\.`));
        t.diagnostic(`Node ${which}: ${version.trim()}`);
        const bin = (name: string) => join(app, "node_modules", ".bin", name);

        // The installed `periscope viewer` serves its web UI and Jaeger's API.
        const viewer = new Proc(
          node,
          [
            bin("periscope"),
            "viewer",
            "--in-memory",
            "--ui",
            "127.0.0.1:0",
            "--otlp-http",
            "127.0.0.1:0",
            "--otlp-grpc",
            "off",
            // Jaeger's and Zipkin's receivers are tested in the viewer's own suites; here they
            // would hold fixed ports.
            ...[
              "--jaeger-compact",
              "--jaeger-binary",
              "--jaeger-http",
              "--jaeger-grpc",
              "--zipkin",
            ].flatMap((flag) => [flag, "off"]),
          ],
          app,
          userEnv(),
        );
        try {
          const ui = (await viewer.waitFor(/web UI \+ Jaeger API\s+(http:\/\/\S+)\n/))[1]!;
          const otlp = (
            await viewer.waitFor(/OTLP\/HTTP\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\/traces\n/)
          )[1]!;
          const html = await (await get(`${ui}/`)).text();
          const script = html.match(/<script[^>]+src="([^"]+\.js)"/)?.[1];
          assert.ok(script, `the UI page loads its script:\n${html.slice(0, 500)}`);
          const js = await get(new URL(script, ui));
          assert.equal(js.status, 200);
          assert.match(js.headers.get("content-type") ?? "", /javascript/);
          assert.deepEqual(await (await get(`${ui}/api/services`)).json(), {
            data: [],
            total: 0,
            limit: 0,
            offset: 0,
            errors: null,
          });

          for (const [file, service] of [
            ["app.mjs", "shop"],
            ["app.cjs", "shop-cjs"],
          ] as const) {
            const env = userEnv({
              PERISCOPE_CONSOLE_BIND: "127.0.0.1:0",
              OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
            });
            const proc = new Proc(node, [file], app, env);
            try {
              const port = (
                await proc.waitFor(/WARN shop::checkout: all orders placed console_port=(\d+)\n/)
              )[1]!;
              for (const left of [2, 1, 0]) {
                assert.match(
                  proc.out,
                  new RegExp(
                    `INFO order\\{id=\\d\\}: shop::checkout: order placed left=${left}\\n`,
                  ),
                );
              }
              assert.doesNotMatch(proc.out, /ExperimentalWarning|DeprecationWarning|Error/);
              // The console's gRPC port answers, with the app's tasks and its Mutex.
              const { stdout } = await sh(
                node,
                [
                  "watch.mjs",
                  `http://127.0.0.1:${port}`,
                  "order-1",
                  "order-2",
                  "order-3",
                  "ticker",
                ],
                app,
              );
              const seen = JSON.parse(stdout) as {
                tasks: Record<string, number>;
                resources: string[];
              };
              assert.ok(seen.resources.includes("Mutex"), `a Mutex resource: ${stdout}`);
              t.diagnostic(`Node ${which} ${file}: console saw ${stdout.trim()}`);
            } finally {
              proc.stop();
            }
            const [code, signal] = await proc.exited;
            assert.ok(
              code === 0 || signal === "SIGTERM",
              `${file} stopped cleanly: ${code} ${signal}`,
            );
            // SIGTERM flushed the spans to the viewer over OTLP.
            const orders = await until(`${service}'s order spans in the viewer`, async () => {
              const r = (await (
                await get(`${ui}/api/traces?service=${service}&operation=order&lookback=1h`)
              ).json()) as { data: Array<{ spans: Array<{ operationName: string }> }> };
              return r.data.length >= 3 ? r.data : undefined;
            });
            assert.equal(orders.length, 3);
          }
        } finally {
          viewer.stop();
        }
        await viewer.exited;

        // An unchanged node:http service: one flag, and its requests are console tasks by route.
        const consolePort = await freePort();
        const flagged = new Proc(
          node,
          ["--import", "@periscope/auto", "server.mjs"],
          app,
          userEnv({ PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}` }),
        );
        try {
          const port = (await flagged.waitFor(/listening (\d+)\n/))[1]!;
          for (const id of [1, 2]) await (await get(`http://127.0.0.1:${port}/users/${id}`)).text();
          const { stdout } = await sh(
            node,
            ["watch.mjs", `http://127.0.0.1:${consolePort}`, "GET /users/:id"],
            app,
            userEnv({ WATCH_MIN_POLLS: "1" }),
          );
          t.diagnostic(`Node ${which} --import @periscope/auto: console saw ${stdout.trim()}`);
          assert.equal(
            flagged.out,
            `listening ${port}\n`,
            "the flag changes nothing the app prints",
          );
        } finally {
          flagged.stop();
        }
        await flagged.exited;

        // The same service started with no flag, attached to by PID with the installed command.
        const plain = new Proc(node, ["server.mjs"], app, userEnv());
        try {
          const port = (await plain.waitFor(/listening (\d+)\n/))[1]!;
          const attachPort = await freePort();
          const { stdout: attached } = await sh(
            node,
            [
              bin("periscope"),
              "attach",
              String(plain.child.pid),
              "--bind",
              `127.0.0.1:${attachPort}`,
            ],
            app,
          );
          assert.match(attached, new RegExp(`127\\.0\\.0\\.1:${attachPort}`));
          await (
            await get(`http://127.0.0.1:${port}/users/3`).catch((e: Error) => {
              throw new Error(
                `${e.message}; exit ${plain.child.exitCode} ${plain.child.signalCode}; attach said: ${attached}; the service said: ${plain.out}`,
              );
            })
          ).text();
          const { stdout } = await sh(
            node,
            ["watch.mjs", `http://127.0.0.1:${attachPort}`, "GET /users/:id"],
            app,
            userEnv({ WATCH_MIN_POLLS: "1" }),
          );
          t.diagnostic(`Node ${which} periscope attach: console saw ${stdout.trim()}`);
        } finally {
          plain.stop();
        }
        await plain.exited;

        // The installed mini-redis-server answers PING, and so does the installed CLI.
        const redis = new Proc(node, [bin("mini-redis-server"), "--port", "0"], app, userEnv());
        try {
          const port = Number(
            (
              await redis.waitFor(
                /(?:listening on |inbound connections addr=")127\.0\.0\.1:(\d+)[\s"]/,
              )
            )[1],
          );
          assert.equal(await redisPing(port), "+PONG\r\n");
          const { stdout } = await sh(
            node,
            [bin("mini-redis-cli"), "--port", String(port), "ping"],
            app,
          );
          assert.match(stdout, /PONG/);
        } finally {
          redis.stop();
        }
        const [code] = await redis.exited;
        assert.equal(code, 0, redis.out);
      },
    );
  }
});
