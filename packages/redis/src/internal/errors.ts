// Failures of Redis calls as TroupeErrors with stable codes.
import { TroupeError } from '@troupe/core';

/** Reply errors that mean "the server cannot serve right now", not "the script is wrong". */
const UNAVAILABLE_REPLY =
  /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF|OOM)\b/;

/** Reply errors that mean "you may not": bad credentials, or an ACL that forbids the call. */
const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b|\bACL\b|invalid password|no password is set/i;

/** Failures that happen before a command reaches the server: it surely did not run. */
const NEVER_SENT = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|Stream isn't writeable|offline queue/i;

/** The message of ioredis's `commandTimeout` rejection. */
export const COMMAND_TIMED_OUT = 'Command timed out';

/**
 * Maps any failure of a Redis call to a TroupeError with a stable code. An unavailable error
 * says in `details.mayHaveTakenEffect` whether the command may have run on the server (it was
 * sent and no answer came back: a timeout or a connection lost mid-call) or surely did not
 * (refused before sending, or the server answered with an error).
 */
export function toTroupeError(error: unknown, operation: string): TroupeError {
  if (error instanceof TroupeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (AUTH_REPLY.test(message) && (name === 'ReplyError' || /auth|password/i.test(message))) {
    return new TroupeError('ERR_BACKEND_AUTH', `redis refused ${operation}: ${message}`, {
      cause: error,
      details: { operation },
    });
  }
  if (name === 'ReplyError' && !UNAVAILABLE_REPLY.test(message)) {
    return new TroupeError('ERR_INTERNAL', `redis ${operation} failed: ${message}`, {
      cause: error,
    });
  }
  const mayHaveTakenEffect = name !== 'ReplyError' && !NEVER_SENT.test(message);
  return new TroupeError(
    'ERR_BACKEND_UNAVAILABLE',
    `redis is unavailable (${operation}): ${message}${mayHaveTakenEffect ? ' (it may have taken effect)' : ''}`,
    {
      cause: error,
      details: { operation, mayHaveTakenEffect },
    },
  );
}

/** True for the rejection of a command that got no reply within the command timeout. */
export function isCommandTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === COMMAND_TIMED_OUT;
}
