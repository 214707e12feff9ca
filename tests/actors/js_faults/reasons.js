export function explain(where) {
  return `the ${where} failed on purpose`;
}
