/** "QMDL_WRITE_FAILED: … (cause ENOSPC: no space left on device)": the codes of the whole cause chain. */
export function errorDetail(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    const message = current instanceof Error ? current.message : String(current);
    parts.push(typeof code === 'string' ? `${code}: ${message}` : message);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(' (cause ') + ')'.repeat(Math.max(0, parts.length - 1));
}
