import { html } from "hono/html";
import { type Html, layout } from "./layout.ts";

/** The sign-in form: a POST body (never the URL) and a password field (never stored by the page). */
export function loginPage(message?: string, error?: boolean): Html {
  return layout(
    "Sign in",
    html`<section class="signin">
<h1>Sign in to minicloud</h1>
${message ? html`<p class="${error ? "error" : "muted"}" role="${error ? "alert" : "status"}" id="signin-message">${message}</p>` : ""}
<form method="post" action="/dashboard/login">
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required autofocus>
  <button type="submit">Sign in</button>
</form>
<p class="muted">The key is exchanged for a session; the page never keeps it. <code>mc keys create</code> makes one.</p>
</section>`,
  );
}
