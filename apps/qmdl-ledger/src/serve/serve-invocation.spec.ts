import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildProgram } from '../main';
import { runsServe, SERVE_COMMAND } from './serve-invocation';

describe('which subcommand runs, known before the CLI is parsed', () => {
  it('is serve exactly when the first argument after the script names it', () => {
    expect(runsServe(['node', 'main.js', 'serve', '--port', '0'])).toBe(true);
    expect(runsServe(['node', 'main.js', 'serve'])).toBe(true);
    expect(runsServe(['node', 'main.js', 'help', 'serve'])).toBe(false);
    expect(runsServe(['node', 'main.js', 'verify', '--data-dir', 'serve'])).toBe(false);
    expect(runsServe(['node', 'main.js'])).toBe(false);
  });

  it('holds for the program as built: serve is registered under that name, and no program option takes a value', () => {
    const program = buildProgram();
    expect(program.commands.map((command) => command.name())).toContain(SERVE_COMMAND);
    // An option with a value before the subcommand (`qmdl-ledger --x v serve`) would move it past argv[2].
    expect(program.options.filter((option) => option.required || option.optional)).toEqual([]);
  });

  it("sets serve's V8 flags from main.ts's first import, so they precede every other module under ESM too", () => {
    const main = readFileSync(path.join(__dirname, '..', 'main.ts'), 'utf8');
    expect(/^import\s[^\n]*$/m.exec(main)?.[0]).toBe("import './serve/v8-flags';");
  });
});
