// @troupe/providers/testing: a fake model server speaking both wire protocols. No vitest here.

export type {
  FakeFault,
  FakeModelServer,
  FakeModelServerOptions,
  FakeReply,
  FakeScript,
  FakeToolCall,
  FakeUsage,
  RecordedRequest,
} from './fake-server.js';
export { createFakeModelServer } from './fake-server.js';
