// Where the token is in what was pasted, for colouring only. The core reads the pasted text
// itself (it removes white space and an authorization scheme such as "Bearer " and says so in
// its findings); the page colours the last word of the text, which is where the token is.

/** @returns {{ token: string, start: number }}  `start`: where the token begins in `text`. */
export function locateToken(text) {
  const end = text.trimEnd().length;
  const head = text.slice(0, end);
  const lastSpace = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\n'), head.lastIndexOf('\t'), head.lastIndexOf('\r'));
  const start = lastSpace + 1;
  return { token: head.slice(start), start };
}

/** The dot-separated parts of a compact serialization (any count; the core decides what it is). */
export function segmentsOf(token) {
  return token === '' ? [] : token.split('.');
}
