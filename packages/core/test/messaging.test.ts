import { messagingSuite } from './fixtures/messaging-suite.js';

messagingSuite('inline');
