// The payments inbox's queries (issue 11, part 2): filled in by that work.
export {};
