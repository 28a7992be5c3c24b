// A progress line on stderr for long work: shown only on a TTY and never with --json, so pipes
// and machine output stay clean. Redraws at most a few times per second.

export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

const silent: Progress = { update() {}, finish() {} };

export function createProgress(options: { label: string; json?: boolean; stream?: NodeJS.WriteStream; formatRate?: (perSecond: number) => string }): Progress {
  const formatRate = options.formatRate ?? ((perSecond: number) => `${formatBytes(perSecond)}/s`);
  const stream = options.stream ?? process.stderr;
  if (options.json || !stream.isTTY) return silent;
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 150 && done < total) return;
      last = now;
      shown = true;
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 50));
      const filled = Math.round(fraction * width);
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      const eta = rate > 0 ? (total - done) / rate : 0;
      stream.write(`\r${options.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% ${formatRate(rate)} ETA ${eta.toFixed(0)}s `);
    },
    finish() {
      if (shown) stream.write('\n');
    },
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
