import { backendSeam } from '@pipebus/os';
import type { PipeBackend } from './pipe-backend.js';

// Tests hand the transport a fake backend through this seam (see @pipebus/os's
// backendSeam for why it is not an option). Not reachable from the package's exports.
export const { withBackend, injectedBackend } = backendSeam<PipeBackend>('pipebus.namedpipe.backend');
