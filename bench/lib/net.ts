export { freePort } from '@paidflow/server/testing';
