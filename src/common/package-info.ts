import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface PackageJson {
  name: string;
  version: string;
}

// Read at runtime so the build does not need package.json inside rootDir; the path is the same
// from src/common (tests) and dist/common (production).
const packageJson = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'),
) as PackageJson;

export const PACKAGE_NAME = packageJson.name;
export const PACKAGE_VERSION = packageJson.version;
