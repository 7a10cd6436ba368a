// The bench workspace: peers (pino, the OpenTelemetry SDK, redis-server) live only here.
