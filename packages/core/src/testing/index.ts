// Test doubles and contract suites: @troupe/core/testing.
// Contract suites import vitest; the doubles alone are also at @troupe/core/testing/doubles.

export * from './doubles.js';
