#!/usr/bin/env node
// Exits 0 when a Redis server answers PING at the URL given (default redis://127.0.0.1:6379).
const net = require('node:net');

const url = new URL(process.argv[2] || 'redis://127.0.0.1:6379');
const socket = net.connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) });
const auth = url.password
  ? `AUTH ${url.username ? `${decodeURIComponent(url.username)} ` : ''}${decodeURIComponent(url.password)}\r\n`
  : '';
let answer = '';
socket.setTimeout(2000, () => process.exit(1));
socket.on('error', () => process.exit(1));
socket.on('connect', () => socket.write(`${auth}PING\r\n`));
socket.on('data', (chunk) => {
  answer += chunk.toString();
  if (answer.includes('+PONG')) process.exit(0);
  if (answer.includes('-')) process.exit(1);
});
