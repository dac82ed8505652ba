import { boundUrl, listeningLine } from './listen-address';

describe('boundUrl', () => {
  it('names the address as bound, IPv6 in brackets', () => {
    expect(boundUrl({ address: '0.0.0.0', family: 'IPv4', port: 3000 })).toBe(
      'http://0.0.0.0:3000',
    );
    expect(boundUrl({ address: '127.0.0.1', family: 'IPv4', port: 8080 })).toBe(
      'http://127.0.0.1:8080',
    );
    expect(boundUrl({ address: '::', family: 'IPv6', port: 3000 })).toBe('http://[::]:3000');
    expect(boundUrl({ address: '::1', family: 'IPv6', port: 3000 })).toBe('http://[::1]:3000');
    expect(boundUrl('/run/aareguru.sock')).toBe('unix:/run/aareguru.sock');
  });
});

describe('listeningLine', () => {
  const address = { address: '0.0.0.0', family: 'IPv4', port: 3000 };

  it('adds the public URL when one is configured', () => {
    expect(listeningLine(address, 'https://aare.example.ch', 'https://aareguru.existenz.ch')).toBe(
      'Listening on http://0.0.0.0:3000 (public URL https://aare.example.ch), upstream https://aareguru.existenz.ch',
    );
    expect(listeningLine(address, '/aare', 'http://127.0.0.1:8010')).toBe(
      'Listening on http://0.0.0.0:3000 (public path /aare), upstream http://127.0.0.1:8010',
    );
    expect(listeningLine(address, '', 'http://127.0.0.1:8010')).toBe(
      'Listening on http://0.0.0.0:3000, upstream http://127.0.0.1:8010',
    );
  });
});
