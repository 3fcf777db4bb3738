import type { Logger } from '../core/log.js';
import type { Principal } from '../core/identity/identity.service.js';

// Request fields set by Collexa's middleware.
declare global {
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
      principal?: Principal;
    }
  }
}
