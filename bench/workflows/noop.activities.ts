/** The baseline's one activity: does nothing, so the benchmark measures only Temporal's own round trips. */
export function createNoopActivities() {
  return {
    async noop(): Promise<void> {},
  };
}
