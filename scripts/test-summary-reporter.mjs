// node:test reporter that prints one plain closing line: "N passed, N failed, N skipped" (counts leaf tests, not suites).
export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    if (data.details?.type === 'suite') continue;
    if (data.skip !== undefined || data.todo !== undefined) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  yield `\nsummary: ${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
