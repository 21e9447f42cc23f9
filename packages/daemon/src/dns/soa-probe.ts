import { randomInt } from "node:crypto";
import dgram from "node:dgram";
import dnsPacket from "dns-packet";

/**
 * The SOA serial a DNS server answers for `zone`, asked from `localAddress`. Node's resolver
 * does not reliably choose its source address, and CoreDNS picks a tenant's view by the source
 * address, so this sends one UDP query itself. Undefined when there is no answer in time.
 */
export function soaSerial(server: string, port: number, localAddress: string, zone: string, timeoutMs = 200): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket("udp4");
    const id = randomInt(0, 65536);
    const finish = (serial: number | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(serial);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on("error", () => finish(undefined));
    socket.on("message", (message) => {
      const response = dnsPacket.decode(message);
      if (response.id !== id) return;
      const soa = response.answers?.find((answer) => answer.type === "SOA");
      finish(soa && soa.type === "SOA" ? soa.data.serial : undefined);
    });
    socket.bind(0, localAddress, () => {
      const query = dnsPacket.encode({ id, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "SOA", name: zone }] });
      socket.send(query, port, server);
    });
  });
}
