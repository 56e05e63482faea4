export { AsteriskDouble, type DialOptions, type DoubleOptions, type LoggedRequest, type SessionStats } from './AsteriskDouble';
export { SimCaller } from './SimCaller';
