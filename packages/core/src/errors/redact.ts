// Secrets seen while parsing URLs and options. Every ToozError message passes
// through `redact`, so a password given to `connect` cannot leak through an
// error, whichever layer builds the message.
const secrets = new Set<string>();

/** Remembers a credential so that no later error message can contain it. */
export function registerSecret(secret: string | undefined): void {
  // Very short secrets would mangle unrelated text; they are still masked in URLs below.
  if (secret && secret.length >= 3) secrets.add(secret);
}

// The user part excludes brackets so that a message describing the URL form
// ("scheme://[user[:password]@]host") is not itself masked.
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/?)([^/@\s:[\]]*):([^@\s]*)@/gi;
const PASSWORD_PARAM = /\b([\w.-]*(?:password|passwd|pass|pwd|secret|token|auth|credential)[\w.-]*)=([^&\s]*)/gi;

/** Masks credentials: `user:pass@` in URLs, password-like query parameters, registered secrets. */
export function redact(text: string): string {
  let out = text.replace(URL_USERINFO, '$1$2:***@').replace(PASSWORD_PARAM, '$1=***');
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join('***');
  }
  return out;
}
