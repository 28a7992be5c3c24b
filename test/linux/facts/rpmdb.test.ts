// rpmdb.sqlite read by our SQLite + rpm header readers, against rpm itself: packages built
// with rpmbuild (long descriptions, so headers spill onto overflow pages and the table needs
// interior b-tree pages), registered with `rpm --dbpath D -i --justdb`, listed by
// `rpm --dbpath D -qa`. Plus SQLite files written by python3's sqlite3 for the record
// format, and corrupt inputs that must fail the validators.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptError } from '../../../src/errors.js';
import { MemoryFileSystem } from '../../../src/fs/memory/index.js';
import { inspectLinux, parseRpmHeaderBlob, readBdbHash, readRpmBdb, readRpmSqlite, SqliteFile } from '../../../src/linux/index.js';
import { run, tempDir } from '../../helpers/tools.js';

const SPEC = `Name: %{pname}
Version: %{pver}
Release: %{prel}
%{?pepoch:Epoch: %{pepoch}}
Summary: test package %{pname}
License: MIT
BuildArch: noarch
%description
%{pdesc}
%files
`;

let dbFile: string;
let expected: string[];
let bdbFile: string;
let bdbExpected: string[];

beforeAll(() => {
  const dir = tempDir('rehost-rpmdb-');
  writeFileSync(join(dir, 't.spec'), SPEC);
  const rpms: string[] = [];
  for (let i = 0; i < 24; i++) {
    const defines = ['pname', `pkg-${String(i).padStart(2, '0')}`, 'pver', `1.${i}.0`, 'prel', `${i + 1}.el9`, 'pdesc', 'd'.repeat(200 + i * 700)];
    if (i % 3 === 0) defines.push('pepoch', String(i));
    const args = ['-bb', '--define', `_topdir ${join(dir, 'top')}`];
    for (let j = 0; j < defines.length; j += 2) args.push('--define', `${defines[j]} ${defines[j + 1]}`);
    run('rpmbuild', [...args, join(dir, 't.spec')]);
    rpms.push(join(dir, 'top/RPMS/noarch', `pkg-${String(i).padStart(2, '0')}-1.${i}.0-${i + 1}.el9.noarch.rpm`));
  }
  const db = join(dir, 'db');
  run('rpm', ['--dbpath', db, '--initdb']);
  run('rpm', ['--dbpath', db, '-i', '--justdb', '--nodeps', ...rpms]);
  expected = run('rpm', ['--dbpath', db, '-qa', '--qf', '%{NAME} %{EPOCHNUM} %{VERSION} %{RELEASE} %{ARCH}\\n']).trim().split('\n').sort();
  dbFile = join(db, 'rpmdb.sqlite');
  // The same headers in a Berkeley DB hash Packages file (db_load), as rpm < 4.16 kept them;
  // rpm's read-only bdb backend is the oracle for it.
  const bdbDir = join(dir, 'bdb');
  run('mkdir', ['-p', bdbDir]);
  const dump = run('python3', [
    '-c',
    `import sqlite3, struct
c = sqlite3.connect(${JSON.stringify(dbFile)})
esc = lambda b: ''.join('\\\\%02x' % x for x in b)
print(esc(struct.pack('<I', 0))); print(esc(struct.pack('<I', 25)))
for hnum, blob in c.execute('select hnum, blob from Packages'):
    print(esc(struct.pack('<I', hnum))); print(esc(blob))`,
  ]);
  writeFileSync(join(dir, 'load.txt'), dump);
  run('db_load', ['-T', '-t', 'hash', '-c', 'db_pagesize=4096', '-f', join(dir, 'load.txt'), join(bdbDir, 'Packages')]);
  bdbExpected = run('rpm', ['--dbpath', bdbDir, '--define', '_db_backend bdb_ro', '-qa', '--qf', '%{NAME} %{EPOCHNUM} %{VERSION} %{RELEASE} %{ARCH}\\n']).trim().split('\n').sort();
  bdbFile = join(bdbDir, 'Packages');
}, 120_000);

describe('rpmdb.sqlite', () => {
  it('lists the same packages as rpm -qa', () => {
    const ours = readRpmSqlite(readFileSync(dbFile)).map((p) => `${p.name} ${p.epoch ?? 0} ${p.version} ${p.release} ${p.arch}`).sort();
    expect(expected).toHaveLength(24);
    expect(ours).toEqual(expected);
    const db = new SqliteFile(readFileSync(dbFile));
    expect(db.schema().some((e) => e.name === 'Packages' && e.type === 'table')).toBe(true);
  });

  it('Berkeley DB Packages: the same packages as rpm -qa with its bdb_ro backend', async () => {
    const ours = readRpmBdb(readFileSync(bdbFile)).map((p) => `${p.name} ${p.epoch ?? 0} ${p.version} ${p.release} ${p.arch}`).sort();
    expect(bdbExpected).toEqual(expected);
    expect(ours).toEqual(bdbExpected);
    const fs = await MemoryFileSystem.from({ etc: {}, usr: { bin: {} }, var: { lib: { rpm: { Packages: readFileSync(bdbFile) } } } });
    const facts = await inspectLinux({ fs });
    expect(facts.packages.rpmDatabase).toEqual({ path: '/var/lib/rpm/Packages', format: 'bdb', readable: true, magicMatches: true });
    expect(facts.packages.installed).toHaveLength(24);
  });

  it('rejects corrupt Berkeley DB files', () => {
    const good = new Uint8Array(readFileSync(bdbFile));
    expect(readBdbHash(good).length).toBe(25);
    expect(() => readBdbHash(good.slice(0, 100))).toThrow(CorruptError);
    const badMagic = good.slice();
    badMagic[12] = 0;
    expect(() => readBdbHash(badMagic)).toThrow(/magic/);
    const badPage = good.slice();
    new DataView(badPage.buffer).setUint32(20, 1000, true);
    expect(() => readBdbHash(badPage)).toThrow(/page size/);
    const encrypted = good.slice();
    encrypted[24] = 1;
    expect(() => readBdbHash(encrypted)).toThrow(/encrypted/);
    // Break the first overflow chain: point its first page at itself.
    const looped = good.slice();
    const view = new DataView(looped.buffer);
    for (let page = 1; page * 4096 < looped.length; page++) {
      if (looped[page * 4096 + 25] === 7) {
        view.setUint32(page * 4096 + 16, page, true);
        break;
      }
    }
    expect(() => readBdbHash(looped)).toThrow(CorruptError);
    // An item offset pointing into the index area.
    const badItem = good.slice();
    for (let page = 1; page * 4096 < badItem.length; page++) {
      if (badItem[page * 4096 + 25] === 13) {
        new DataView(badItem.buffer).setUint16(page * 4096 + 26, 3, true);
        break;
      }
    }
    expect(() => readBdbHash(badItem)).toThrow(/bad bounds/);
  });

  it('is read by inspectLinux from /var/lib/rpm', async () => {
    const fs = await MemoryFileSystem.from({ etc: {}, usr: { bin: {} }, var: { lib: { rpm: { 'rpmdb.sqlite': readFileSync(dbFile) } } } });
    const facts = await inspectLinux({ fs });
    expect(facts.packages.rpmDatabase).toEqual({ path: '/var/lib/rpm/rpmdb.sqlite', format: 'sqlite', readable: true, magicMatches: true });
    expect(facts.packages.installed).toHaveLength(24);
  });

  it('reads records of every serial type (python3 sqlite3 as the writer)', () => {
    const dir = tempDir('rehost-sqlite-');
    const file = join(dir, 't.db');
    run('python3', [
      '-c',
      `import sqlite3; c=sqlite3.connect(${JSON.stringify(file)}); c.execute("create table T (id integer primary key, a, b, c, d, e)");
rows=[(None, 0, 1, -1, 3.5, 'text'), (None, 127, -129, 2**40, None, b'\\x00\\x01'), (None, -2**63, 2**31, 70000, 'é'*3000, b'y'*10000)]
c.executemany("insert into T values (?,?,?,?,?,?)", rows); c.commit()`,
    ]);
    const db = new SqliteFile(readFileSync(file));
    const table = db.findTable('t');
    expect(table?.sql).toMatch(/create table T/i);
    const rows = [...db.tableRows(table!.rootPage)];
    expect(rows.map((r) => r.rowid)).toEqual([1, 2, 3]);
    expect(rows[0]?.values).toEqual([null, 0, 1, -1, 3.5, 'text']);
    expect(rows[1]?.values).toEqual([null, 127, -129, 2 ** 40, null, new Uint8Array([0, 1])]);
    expect(rows[2]?.values.slice(0, 4)).toEqual([null, -(2n ** 63n), 2 ** 31, 70000]);
    expect(rows[2]?.values[4]).toBe('é'.repeat(3000));
    expect((rows[2]?.values[5] as Uint8Array).length).toBe(10000);
  });

  it('rejects corrupt databases and header blobs', () => {
    const good = new Uint8Array(readFileSync(dbFile));
    expect(() => new SqliteFile(good.slice(0, 50))).toThrow(CorruptError);
    const badMagic = good.slice();
    badMagic[0] = 0x73;
    expect(() => new SqliteFile(badMagic)).toThrow(/magic/);
    const badPageSize = good.slice();
    badPageSize[16] = 0x03;
    badPageSize[17] = 0x00;
    expect(() => new SqliteFile(badPageSize)).toThrow(/page size/);
    // Root page of the schema turned into an unknown page type.
    const badType = good.slice();
    badType[100] = 0x07;
    expect(() => readRpmSqlite(badType)).toThrow(/page type/);
    // Truncated file: pages referenced beyond its end.
    expect(() => readRpmSqlite(good.slice(0, 8192))).toThrow(CorruptError);
    expect(() => parseRpmHeaderBlob(new Uint8Array(4))).toThrow(CorruptError);
    const blob = new Uint8Array(8 + 16 + 4);
    const view = new DataView(blob.buffer);
    view.setUint32(0, 1);
    view.setUint32(4, 4);
    view.setUint32(8, 1000);
    view.setUint32(12, 6);
    view.setInt32(16, 0);
    view.setUint32(20, 1);
    blob.set([0x61, 0x62, 0x63, 0x64], 24);
    expect(() => parseRpmHeaderBlob(blob)).toThrow(/NUL/);
    blob[27] = 0;
    expect(parseRpmHeaderBlob(blob)).toEqual({ name: 'abc' });
    view.setInt32(16, 9);
    expect(() => parseRpmHeaderBlob(blob)).toThrow(/outside/);
    view.setUint32(0, 0x7fffffff);
    expect(() => parseRpmHeaderBlob(blob)).toThrow(/claims/);
  });
});
