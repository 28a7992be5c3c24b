// Registers ts-loader.mjs for a child process (see there).
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
