import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The viewer's module graph: each file and the sibling modules it imports. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const source = readFileSync(path.join(dir, file), 'utf8');
    const imports = [...source.matchAll(/from '\.\/([\w-]+)'/g)].map((m) => m[1]!);
    graph.set(file.slice(0, -'.ts'.length), imports);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (node: string, trail: string[]): void => {
    const at = trail.indexOf(node);
    if (at >= 0) {
      found.push([...trail.slice(at), node].join(' → '));
      return;
    }
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node, []);
  return found;
}

describe('admin viewer modules', () => {
  it('import one another without a cycle (views take View and Ctx from view.ts, not from the shell)', () => {
    const graph = importGraph(__dirname);
    expect(graph.get('events-view')).toContain('view');
    expect(cycles(graph)).toEqual([]);
  });

  it('the cycle check finds a cycle', () => {
    const graph = new Map([
      ['app', ['events-view']],
      ['events-view', ['app']],
    ]);
    expect(cycles(graph)).toEqual(['app → events-view → app']);
  });
});
