export { freePort } from '../../apps/server/src/testing/net.ts';
