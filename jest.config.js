/** Unit specs live next to the code they test. */
module.exports = {
  rootDir: 'src',
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/../test/support/jest.setup.ts'],
  testRegex: '.*\\.spec\\.ts$',
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
};
