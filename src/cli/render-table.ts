import chalk from 'chalk'

/** A plain aligned table; the header is dimmed when colour is on. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()
  return [chalk.dim(line(headers)), ...rows.map((row) => line(row))].join('\n')
}
