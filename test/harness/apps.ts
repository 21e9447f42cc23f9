/** Small servers built from the busybox base image, for tests that need to tell instances apart. */

/** Serves `<who> <hostname>` at / and an OK at /health (delete /tmp/www/health to make it fail). */
export function whoAmICommand(who: string): string[] {
  return [
    "sh",
    "-c",
    `mkdir -p /tmp/www && echo "${who} $(hostname)" > /tmp/www/index.html && echo ok > /tmp/www/health && exec httpd -f -p 8080 -h /tmp/www`,
  ];
}

const RAW_SERVER_SCRIPT = String.raw`read -r method target version
upgrade=""
while read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
  case "$line" in [Uu]pgrade:*) upgrade=1 ;; esac
done
if [ -n "$upgrade" ]; then
  printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n'
  exec cat
elif [ "$target" = "/stream" ]; then
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n'
  echo first; sleep 2; echo second
else
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n'
fi
`;

/**
 * A raw HTTP server on 8080 (busybox nc + sh): `Upgrade:` requests get a 101 and then an echo of
 * every byte (what a WebSocket proxy must pass through), `/stream` writes one line, waits two
 * seconds and writes another, anything else answers "ok".
 */
export const RAW_SERVER_COMMAND = [
  "sh",
  "-c",
  `printf '%s' "$0" > /tmp/server.sh && exec nc -ll -p 8080 -e sh /tmp/server.sh`,
  RAW_SERVER_SCRIPT,
];

/** A container that only waits, for running nslookup and nc inside a tenant network. */
export const IDLE_COMMAND = ["sh", "-c", "exec sleep 3600"];
