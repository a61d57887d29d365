import { agentSuite } from './fixtures/agent-suite.js';

agentSuite('inline');
