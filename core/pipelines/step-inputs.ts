import type { PipelineToolStep } from '../../contracts/pipeline.contract.js';
import type { PipelineArtifactRow } from '../db/rows.js';
import { planText } from './pipeline-prompts.js';
import type { Plan, Project } from './pipeline.schemas.js';

/** The integration tool a step's capability binds when the request names none (core/integrations/catalog.ts). */
export const STEP_TOOLS: Record<Exclude<PipelineToolStep, 'deploy'>, { integration: string; tool: string }> = {
  jira_epic: { integration: 'jira', tool: 'create_issue' },
  confluence_page: { integration: 'confluence', tool: 'create_page' },
  slack_plan: { integration: 'slack', tool: 'post_message' },
  notify: { integration: 'slack', tool: 'post_message' },
};

/** The project key each step writes to; a step without it is skipped. */
const STEP_PROJECT_KEY: Record<Exclude<PipelineToolStep, 'deploy'>, keyof Project> = {
  jira_epic: 'jiraProjectKey',
  confluence_page: 'confluenceSpaceKey',
  slack_plan: 'slackChannel',
  notify: 'slackChannel',
};

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export interface StepContext {
  pipelineId: string;
  project: Project;
  requirements: string;
  plan?: Plan;
  /** The outcome the notify step reports. */
  outcome?: string;
}

/** The tool input of a plan or notify step, or why it is skipped (the project names nowhere to write). */
export function stepInput(
  step: Exclude<PipelineToolStep, 'deploy'>,
  ctx: StepContext,
): { input: Record<string, unknown> } | { skipped: string } {
  const where = ctx.project[STEP_PROJECT_KEY[step]];
  if (typeof where !== 'string') return { skipped: `project.${STEP_PROJECT_KEY[step]} is not given` };
  const plan = ctx.plan;
  const body = plan ? planText(plan, ctx.requirements) : ctx.requirements;
  const title = plan?.title ?? ctx.project.name;
  const tag = `pipeline ${ctx.pipelineId.slice(0, 8)}`;
  switch (step) {
    case 'jira_epic':
      return {
        input: {
          projectKey: where,
          issueType: 'Epic',
          summary: clip(`${title} (${tag})`, 255),
          description: clip(body, 32_000),
          labels: ['collexa-pipeline'],
        },
      };
    case 'confluence_page':
      return {
        input: {
          spaceKey: where,
          title: clip(`${ctx.project.name}: ${title} (${tag})`, 255),
          body: clip(body, 500_000),
        },
      };
    case 'slack_plan':
      return {
        input: {
          channel: where,
          text: clip(`*Plan for ${ctx.project.name}: ${title}*\n${plan?.summary ?? ''}`, 39_000),
        },
      };
    case 'notify':
      return {
        input: {
          channel: where,
          text: clip(`Pipeline for ${ctx.project.name} (${tag}): ${ctx.outcome ?? 'ended'}`, 39_000),
        },
      };
  }
}

const PER_FILE = /\{\{(path|content)\}\}/;

/** Whether the deploy input is per file: a string anywhere in it names {{path}} or {{content}}. */
export function deploysPerFile(input: unknown): boolean {
  if (typeof input === 'string') return PER_FILE.test(input);
  if (Array.isArray(input)) return input.some(deploysPerFile);
  if (input && typeof input === 'object') return Object.values(input).some(deploysPerFile);
  return false;
}

/**
 * The deploy input with its placeholders filled: {{path}} and {{content}} from `file`, {{pipelineId}},
 * {{summary}} (the plan's title). A value that is exactly one placeholder becomes its text; nothing is
 * evaluated, and the result is checked against the tool's pinned schema when it is recorded.
 */
export function fillDeployInput(
  template: Record<string, unknown>,
  values: { file?: Pick<PipelineArtifactRow, 'path' | 'content'>; pipelineId: string; summary: string },
): Record<string, unknown> {
  const vars: Record<string, string> = {
    pipelineId: values.pipelineId,
    summary: values.summary,
    ...(values.file ? { path: values.file.path, content: values.file.content } : {}),
  };
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/\{\{(\w+)\}\}/g, (m, name: string) => vars[name] ?? m);
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  return fill(template) as Record<string, unknown>;
}
