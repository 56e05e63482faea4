export { AsteriskDouble, type DialOptions, type DoubleOptions, type LoggedRequest } from './AsteriskDouble';
export { SimCaller } from './SimCaller';
