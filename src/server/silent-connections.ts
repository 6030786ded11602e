// A TLS connection that completes its handshake and then sends nothing is
// covered by none of Node's HTTP deadlines (headersTimeout starts with the
// first byte of a request; keepAliveTimeout after a response), so it could
// be held open forever. Drop it when no request has begun within `ms`.
import type { Server } from "node:https";
import type { Socket } from "node:net";

export function dropSilentConnections(server: Server, ms: number): void {
  const spoken = new WeakSet<Socket>();
  // "connection" fires for the raw socket, before the handshake; the handshake has its own timeout.
  server.on("secureConnection", (socket: Socket) => {
    const timer = setTimeout(() => {
      if (!spoken.has(socket)) socket.destroy();
    }, ms);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  });
  // Node measures the first request's headersTimeout from the connection too, so a request still
  // sending its headers when this fires was out of time anyway.
  server.prependListener("request", (request: { socket: Socket }) => spoken.add(request.socket));
}
