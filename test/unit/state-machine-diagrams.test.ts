import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mermaidDiagram, README, readmeWithDiagrams } from '../../lib/docs/state-machine-diagrams.ts';

describe('state machine diagrams in the README', () => {
  it('match the ASL files (run `npm run diagrams` after changing a definition)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readmeWithDiagrams(readme)).toBe(readme);
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
