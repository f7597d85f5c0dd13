// @pipebus/os: the OS policy the OS transports share. Internal: its API may
// change in any release (no semver promise); applications use the transports.
export { defaultRuntimeDir } from './runtime-dir/default-runtime-dir.js';
export { judgeDir, currentJudge, isAbsoluteDir, type DirProblem, type DirStats, type DirJudge } from './runtime-dir/dir-policy.js';
export { ensurePrivateDir, ensurePrivateSubdir, checkPrivateDir, recheckDir, dirError, type CheckedDir, type DirCheckOptions } from './runtime-dir/private-dir.js';
export { inspectPrivateDir, type DirInspection } from './runtime-dir/inspect-dir.js';
export { osMessage, type OsAdvice, type OsErrorOptions } from './errors/os-advice.js';
export { errnoError, errnoNumberError, errnoName, errnoValue, ERRNO_CODES } from './errors/errno-error.js';
export { win32Error, win32ErrorName, WIN32_ERRORS } from './errors/win32-error.js';
export { requireObject, optionalBoolean, optionalInteger, optionalNumber, optionalChoice, optionalDir, optionalLogger, optionalClock } from './options/validators.js';
export { backendSeam, type BackendSeam } from './native/backend-seam.js';
export { lazyNative, type NativeLoader } from './native/lazy-native.js';
export { holdOpen } from './timers/hold-open.js';
