/** The CloudWatch EMF documents Powertools Metrics writes to stdout, captured while a piece of code runs. */
import { vi } from 'vitest';

export type EmfDocument = Record<string, unknown> & {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
};

/** `act`'s result and the EMF documents (JSON lines with `_aws`) written to stdout while it ran */
export async function emfOf<T>(act: () => Promise<T>): Promise<{ result: T; documents: EmfDocument[] }> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const result = await act();
    const documents = lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line.includes('"_aws"'));
    return { result, documents: documents.map((line) => JSON.parse(line) as EmfDocument) };
  } finally {
    write.mockRestore();
  }
}

/** the debt scan's metric directive, as the CloudWatch EMF specification defines it: namespace, one dimension set, three metrics */
export const DEBT_DIRECTIVES = [
  {
    Namespace: 'MpuReaper',
    Dimensions: [['service', 'Bucket']],
    Metrics: [
      { Name: 'IncompleteUploadBytes', Unit: 'Bytes' },
      { Name: 'IncompleteUploads', Unit: 'Count' },
      { Name: 'EstimatedMonthlyCostUsd', Unit: 'None' },
    ],
  },
];
