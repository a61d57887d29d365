// @troupe/providers/testing: a fake model server speaking both wire protocols. No vitest here.

export type { FakeQuirk } from './fake-quirks.js';
export { FAKE_QUIRKS } from './fake-quirks.js';
export { createFakeModelServer } from './fake-server.js';
export type {
  FakeFault,
  FakeModelServer,
  FakeModelServerOptions,
  FakeReply,
  FakeScript,
  FakeToolCall,
  FakeUsage,
  RecordedRequest,
} from './fake-types.js';
