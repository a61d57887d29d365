import { USER_SENDER } from '../agent/mail.js';
import { invalidArgument, TroupeError } from '../errors.js';
import { checkOptionNames } from '../options.js';
import { type Role, validateRole } from '../tools/tool-set.js';
import type { AgentRef, MessageOptions } from './types.js';

/** What the team keeps of an agent it hosts. */
export interface Member {
  readonly role: Role | undefined;
}

const MESSAGE_OPTIONS: ReadonlySet<string> = new Set(['from']);

/** The agents this process hosts for one team, by name, and the team's closed flag. */
export class Members {
  readonly #members = new Map<string, Member>();
  readonly #roles: ReadonlyMap<string, Role>;
  #closed = false;

  constructor(roles: ReadonlyMap<string, Role>) {
    this.#roles = roles;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#members.size;
  }

  close(): void {
    this.#closed = true;
  }

  has(name: string): boolean {
    return this.#members.has(name);
  }

  get(name: string): Member | undefined {
    return this.#members.get(name);
  }

  add(name: string, member: Member): void {
    this.#members.set(name, member);
  }

  delete(name: string): void {
    this.#members.delete(name);
  }

  clear(): void {
    this.#members.clear();
  }

  names(): IterableIterator<string> {
    return this.#members.keys();
  }

  entries(): IterableIterator<[string, Member]> {
    return this.#members.entries();
  }

  /** Refuses a closed team (`ERR_CLOSED`). */
  open(): void {
    if (this.#closed) throw new TroupeError('ERR_CLOSED', 'the team is closed');
  }

  /** The member named `name`: `ERR_CLOSED` on a closed team, `ERR_NOT_FOUND` for no such agent. */
  require(name: string): Member {
    this.open();
    if (typeof name !== 'string') throw invalidArgument('agent must be a name or an AgentInfo');
    const found = this.#members.get(name);
    if (found === undefined)
      throw new TroupeError('ERR_NOT_FOUND', `no agent named "${name}"`, { details: { name } });
    return found;
  }

  /** A spawn's `role` option: a role object (checked) or the name of one of the team's roles. */
  role(option: Role | string | undefined): Role | undefined {
    if (option === undefined) return undefined;
    if (typeof option !== 'string') return validateRole(option);
    const named = this.#roles.get(option);
    if (named === undefined) {
      throw invalidArgument(`no role named "${option}" in the team's roles`, {
        role: option,
        roles: [...this.#roles.keys()],
      });
    }
    return named;
  }
}

/** The name an {@link AgentRef} stands for. */
export function nameOf(agent: AgentRef): string {
  return typeof agent === 'object' && agent !== null ? agent.name : agent;
}

/** The sender of a message: `options.from`, or the user. Bad options are `ERR_INVALID_ARGUMENT`. */
export function sender(options: MessageOptions | undefined): string {
  if (options === undefined) return USER_SENDER;
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  checkOptionNames(options, MESSAGE_OPTIONS, 'message options');
  const from: unknown = options.from ?? USER_SENDER;
  if (typeof from !== 'string' || from.length === 0)
    throw invalidArgument('from must be a non-empty string', { from });
  return from;
}
