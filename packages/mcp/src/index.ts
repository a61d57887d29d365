// The package's public API; see README.md once written.
export {};
