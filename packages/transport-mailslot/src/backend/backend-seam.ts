import { backendSeam } from '@pipebus/os';
import type { SlotBackend } from './slot-backend.js';

// Tests hand the transport a fake backend through this seam (see @pipebus/os's
// backendSeam for why it is not an option). Not reachable from the package's exports.
export const { withBackend, injectedBackend } = backendSeam<SlotBackend>('pipebus.mailslot.backend');
