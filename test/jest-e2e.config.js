/** End-to-end specs boot the real app on a random port against the fake upstream. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/support/jest.setup.ts'],
  testRegex: '.*\\.e2e-spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.jest.json' }],
    // jose ships ES modules only: Jest's CommonJS runtime needs them transpiled.
    '/node_modules/(jose|@modelcontextprotocol/ext-apps)/.+\\.js$': [
      'ts-jest',
      { tsconfig: '<rootDir>/../tsconfig.jest.json' },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(jose|@modelcontextprotocol/ext-apps)/)'],
  testTimeout: 20000,
};
