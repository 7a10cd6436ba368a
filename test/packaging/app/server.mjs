// An ordinary node:http service with no Periscope in it: the tarball test runs it with
// `node --import @periscope/auto`, and attaches to it by PID with the installed `periscope attach`.
import http from "node:http";

const server = http.createServer((req, res) => {
  setTimeout(() => res.end(`hello ${req.url}\n`), 1);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
