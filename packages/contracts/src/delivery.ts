// The delivery links' schemas (issue 11, part 1): filled in by that work.
export {};
