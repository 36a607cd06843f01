// The payments inbox's schemas (issue 11, part 2): filled in by that work.
export {};
