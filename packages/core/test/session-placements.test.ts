// The persistence suite of teams with agents inline (pool-persistence.test.ts runs it in the pool).
import { persistenceSuite } from './fixtures/persist-suite/suite.js';

persistenceSuite('inline');
