// The delivery links' and downloads' queries (issue 11, part 1): filled in by that work.
export {};
