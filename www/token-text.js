// What was pasted → the token to check. Copying a token out of a log or a request often brings
// surrounding whitespace or the "Bearer " of an Authorization header along: those are removed
// (and said so); everything else is left for the core to judge.

/** @returns {{ token: string, start: number, notes: string[] }}  `start`: where it begins in `text`. */
export function tokenFromPaste(text) {
  const notes = [];
  let start = text.length - text.trimStart().length;
  let token = text.trim();
  const bearer = /^(?:authorization:\s*)?bearer\s+/i.exec(token);
  if (bearer) {
    token = token.slice(bearer[0].length);
    start += bearer[0].length;
    notes.push(`Removed "${bearer[0].trim()}" in front of the token.`);
  }
  return { token, start, notes };
}

/** The dot-separated parts of a compact serialization (any count; the core decides what it is). */
export function segmentsOf(token) {
  return token === '' ? [] : token.split('.');
}
