// A TLS connection that completes its handshake and then sends nothing is
// covered by none of Node's HTTP deadlines (headersTimeout starts with the
// first byte of a request; keepAliveTimeout after a response), so it could
// be held open forever. Drop it when no request has begun within `ms`.
//
// `ms` is the keep-alive timeout, not a short one: Go's HTTP client (the
// apiserver's, the scheduler's) may dial a connection it then parks unused in
// its idle pool, and does not retry a POST on a connection's first use, so a
// server that closes an unused connection before the client's own 90 s idle
// timeout could fail a webhook call that takes it at that moment.
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
  // A request still sending its headers when this fires was long past headersTimeout anyway.
  server.prependListener("request", (request: { socket: Socket }) => spoken.add(request.socket));
}
