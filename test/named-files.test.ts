import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { readNamedFiles } from '../src/named-files.js';

describe('files a plan names', () => {
  const host = memoryHost({ 'plans/a.yaml': '', 'plans/users.sql': 'u', 'schemas/t.sql': 't', '../shared/s.sql': 's' });

  it('reads files inside the project, however the path is spelt', async () => {
    const r = await readNamedFiles(host, 'plans/a.yaml', ['users.sql', './users.sql', '../plans/users.sql', '../schemas/t.sql']);
    expect([...r.values()]).toEqual([{ kind: 'read', text: 'u' }, { kind: 'read', text: 'u' }, { kind: 'read', text: 'u' }, { kind: 'read', text: 't' }]);
  });

  it('refuses paths that leave the project, and absolute paths, without reading them', async () => {
    const read: string[] = [];
    const spy = { ...host, readFile: (p: string) => (read.push(p), host.readFile(p)) };
    const r = await readNamedFiles(spy, 'plans/a.yaml', ['../../etc/passwd', '/etc/passwd', '../../shared/s.sql', 'C:/Windows/win.ini', '..\\..\\etc\\passwd', 'missing.sql']);
    expect(Object.fromEntries(r)).toEqual({
      '../../etc/passwd': { kind: 'outside', resolved: '../etc/passwd', link: false },
      '/etc/passwd': { kind: 'outside', resolved: '/etc/passwd', link: false },
      '../../shared/s.sql': { kind: 'outside', resolved: '../shared/s.sql', link: false },
      'C:/Windows/win.ini': { kind: 'outside', resolved: 'C:/Windows/win.ini', link: false },
      '..\\..\\etc\\passwd': { kind: 'outside', resolved: '../etc/passwd', link: false },
      'missing.sql': { kind: 'missing' },
    });
    expect(read).toEqual([]);
  });

  it('reads from a folder the config allows, and only from it', async () => {
    const r = await readNamedFiles(host, 'plans/a.yaml', ['../../shared/s.sql', '../../other/x.sql'], ['../shared/']);
    expect(Object.fromEntries(r)).toEqual({ '../../shared/s.sql': { kind: 'read', text: 's' }, '../../other/x.sql': { kind: 'outside', resolved: '../other/x.sql', link: false } });
  });

  it('judges where a link leads, not where it is', async () => {
    const linked = { ...host, realPath: async (p: string) => (p === 'plans/link.sql' ? '../secret.sql' : host.realPath(p)) };
    const r = await readNamedFiles(linked, 'plans/a.yaml', ['link.sql']);
    expect(r.get('link.sql')).toEqual({ kind: 'outside', resolved: '../secret.sql', link: true });
  });
});
