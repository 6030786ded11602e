// Connection bookkeeping for a graceful stop. server.close() waits for every
// socket, and an apiserver keeps TLS connections open that may never carry a
// request (Node's closeIdleConnections does not see those), so shutdown would
// wait for headersTimeout. Here, an HTTP/1.1 socket is ended as soon as it has
// no request in flight once draining has begun, and an HTTP/2 session is
// closed gracefully: GOAWAY, its open streams finish, no new ones start.
import type { Http2Session } from "node:http2";
import type { Socket } from "node:net";
import type { Server as TlsServer, TLSSocket } from "node:tls";

export interface ConnectionTracker {
  /** Ends idle sockets now and each busy one when its last request finishes; closes HTTP/2 sessions. */
  drain(): void;
  /** Connections open right now, HTTP/1.1 sockets and HTTP/2 sessions (for tests and logs). */
  readonly open: number;
}

export function trackConnections(server: TlsServer): ConnectionTracker {
  const inFlight = new Map<Socket, number>();
  const sessions = new Set<Http2Session>();
  let draining = false;
  const endIfIdle = (socket: Socket) => {
    if (draining && (inFlight.get(socket) ?? 0) === 0) socket.end();
  };
  server.on("secureConnection", (socket: TLSSocket) => {
    if (socket.alpnProtocol === "h2") return;
    inFlight.set(socket, 0);
    socket.once("close", () => inFlight.delete(socket));
    endIfIdle(socket);
  });
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    if (draining) session.close();
  });
  server.on("request", (request: { socket: Socket; httpVersionMajor: number }, response: { once(event: "close", listener: () => void): void }) => {
    if (request.httpVersionMajor === 2) return;
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once("close", () => {
      if (!inFlight.has(socket)) return;
      inFlight.set(socket, Math.max(0, (inFlight.get(socket) ?? 1) - 1));
      endIfIdle(socket);
    });
  });
  return {
    drain() {
      draining = true;
      for (const socket of inFlight.keys()) endIfIdle(socket);
      for (const session of sessions) session.close();
    },
    get open() {
      return inFlight.size + sessions.size;
    },
  };
}
