// First: it configures zod before any schema module loads.
import './zod-jitless.js';
import './global.css';
import './app-shell.js';
