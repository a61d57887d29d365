// Test doubles that do not need a test runner: safe to import from simulation code.
export { SimulatedClock } from '../clock.js';
