import { createMemorySessionStore } from '@troupe/core';
import { sessionStoreContract } from '@troupe/core/testing';

sessionStoreContract('memory', () => createMemorySessionStore());
