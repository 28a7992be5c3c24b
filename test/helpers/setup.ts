// Runs in every test file (vitest setupFiles): the temporary directories a file made with
// tempDir() are removed after its last test, so a full run does not fill the disk (the fleet
// and lab-guest tests make gigabytes of sparse images).

import { afterAll } from 'vitest';
import { removeTempDirs } from './tools.js';

afterAll(removeTempDirs);
