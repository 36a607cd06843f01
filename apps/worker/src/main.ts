// The worker process; the pipeline issue fills it in.
export {};
