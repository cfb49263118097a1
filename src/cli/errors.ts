/** A mistake in how runner-doctor was called or configured: one line, exit code 2. */
export class UsageError extends Error {}
