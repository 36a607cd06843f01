// The dashboard SPA; the dashboard issue fills it in.
export {};
