/** What a browser shows for a host the ingress does not know: ours, not a bare Caddy error. */
export function notFoundPage(domain: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>No app here — minicloud</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head>
<body>
<h1>No app answers at this address</h1>
<p>minicloud routes <code>&lt;app&gt;.&lt;tenant&gt;.${domain}</code> to running apps. This one is unknown, stopped, or has no instance ready.</p>
<p>Check it with <code>mc status APP</code>, or deploy one with <code>mc deploy APP --image IMAGE --port PORT</code>.</p>
</body>
</html>
`;
}
