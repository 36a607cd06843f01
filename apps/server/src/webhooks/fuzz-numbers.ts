/**
 * Number tokens JSON.parse rounds without a word, for the fuzz bodies (fuzz-bodies.ts): in an
 * extra field they only make the bytes be kept; in a field of the contract they get the body
 * rejected (docs/webhooks.md, "Numbers are read exactly as written").
 */
export const LOSSY_EXTRA_TOKENS = ['12345678901234567890', '1e400', '0.1000000000000000055511151231257827'];

/** [contract field, token] pairs: each token rounds to a value the contract would accept, or not. */
export function lossyFieldTokens(total: number, id: number): Array<[string, string]> {
  return [
    ['transferAmount', `${total}.0000000000000001`],
    ['transferAmount', `${total}000000000000000000001e-21`],
    ['id', `${id}.0000000000000001`],
    ['id', '12345678901234567890'],
    ['accumulated', '12345678901234567890'],
    ['accumulated', '1e400'],
  ];
}
