import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIAGRAM_PAGES, diagramPages, mermaidDiagram, pageWithDiagrams } from '../../tools/state-machine-diagrams.ts';
import { STATE_MACHINES } from '../../lib/settings.ts';

describe('state machine diagrams in the docs', () => {
  it.each(diagramPages().map((p) => [p.page, p.path]))('%s: match the ASL files (run `npm run diagrams` after changing a definition)', (page, path) => {
    const text = readFileSync(path, 'utf8');
    expect(pageWithDiagrams(page, text)).toBe(text);
  });

  it('draws every state machine once, on the page about it', () => {
    // Arrange
    const machines = Object.values(STATE_MACHINES).map((m) => m.file.replace(/\.asl\.json$/, ''));

    // Act
    const sections = diagramPages().flatMap(({ path }) => [...readFileSync(path, 'utf8').matchAll(/<!-- diagram:([\w-]+) -->/g)].map((m) => m[1]));

    // Assert
    expect(Object.keys(DIAGRAM_PAGES).sort()).toEqual([...machines].sort());
    expect([...sections].sort()).toEqual([...machines].sort());
  });

  it('draw every state, every transition, every Choice rule and every Catch', () => {
    // Arrange
    const definition = {
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:s3:listParts', Next: 'B', Catch: [{ ErrorEquals: ['S3.NoSuchUploadException'], Next: 'D' }] },
        B: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThanEquals: 3, Next: 'D' }], Default: 'C' },
        C: { Type: 'Wait', Next: 'A' },
        D: { Type: 'Succeed' },
      },
    };

    // Act
    const drawing = mermaidDiagram(definition);

    // Assert
    expect(drawing).toContain('start((start)) --> s0');
    expect(drawing).toContain('s0["A<br/>(s3:listParts)"]');
    expect(drawing).toContain('s0 -.->|"S3.NoSuchUploadException"| s2');
    expect(drawing).toContain('s1 -->|"n ≥ 3"| s2');
    expect(drawing).toContain('s1 -->|otherwise| s3');
    expect(drawing).toContain('s3(["C"])');
    expect(drawing).toContain('s2(("D ✓"))');
  });
});
