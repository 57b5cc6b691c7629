import { type ProbeTarget, readUntil, withSocket } from './socket.js';

/**
 * Reads the handshake a MySQL/MariaDB server sends on connect. A protocol-10
 * greeting means it accepts connections; an error packet (0xff) carries the
 * reason it does not (still starting, too many connections…).
 */
export async function mysqlGreeting(target: ProbeTarget): Promise<{ ready: boolean; message: string }> {
  return withSocket(target, async (socket) => {
    const packet = await readUntil(socket, (data) => data.length >= 4 && data.length >= 4 + data.readUIntLE(0, 3));
    const kind = packet[4];
    if (kind === 0x0a) {
      const end = packet.indexOf(0, 5);
      return { ready: true, message: packet.toString('latin1', 5, end < 0 ? undefined : end) };
    }
    // Error packet: 0xff, 2-byte code, then the message (after a '#SQLSTATE' marker in newer servers).
    return { ready: false, message: packet.toString('utf8', 7, 4 + packet.readUIntLE(0, 3)) };
  });
}
