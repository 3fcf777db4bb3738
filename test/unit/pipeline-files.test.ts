// What the code stage may write (paths made safe, bounds) and how the deploy's input is filled per file.
import { describe, expect, it } from 'vitest';
import { diffSummary, generatedFiles, safeRelativePath } from '../../core/pipelines/generated-files.js';
import { PIPELINE_LIMITS } from '../../core/pipelines/pipeline.schemas.js';
import { deploysPerFile, fillDeployInput } from '../../core/pipelines/step-inputs.js';

describe('generated file paths', () => {
  it('normalises separators and dot segments into a relative POSIX path', () => {
    expect(safeRelativePath('src\\app/./index.ts')).toBe('src/app/index.ts');
    expect(safeRelativePath('./README.md')).toBe('README.md');
    expect(safeRelativePath('.github/workflows/ci.yml')).toBe('.github/workflows/ci.yml');
  });

  it.each([
    ['/etc/passwd', 'absolute'],
    ['\\\\host\\share\\x', 'absolute'],
    ['C:\\Windows\\x', 'absolute'],
    ['src/../../x', '".." segment'],
    ['..', '".." segment'],
    ['a/b c', 'segment'],
    ['a/$(rm -rf)', 'segment'],
    ['a/\u0000b', 'segment'],
    ['', 'empty'],
    ['./', 'empty'],
  ])('refuses %j (%s)', (path, why) => {
    expect(() => safeRelativePath(path)).toThrow(
      expect.objectContaining({ code: 'unsafe_generated_path', httpStatus: 422 }),
    );
    expect(() => safeRelativePath(path)).toThrow(why);
  });

  it('bounds the files: count, per file, together, and a path written twice', () => {
    const many = Array.from({ length: PIPELINE_LIMITS.files + 1 }, (_, i) => ({ path: `f${i}.ts`, content: '' }));
    expect(() => generatedFiles(many)).toThrow(expect.objectContaining({ code: 'too_many_files' }));
    const big = 'x'.repeat(PIPELINE_LIMITS.fileBytes + 1);
    expect(() => generatedFiles([{ path: 'a', content: big }])).toThrow(
      expect.objectContaining({ code: 'file_too_large' }),
    );
    const half = 'x'.repeat(PIPELINE_LIMITS.fileBytes);
    const six = Array.from({ length: 6 }, (_, i) => ({ path: `f${i}`, content: half }));
    expect(() => generatedFiles(six)).toThrow(expect.objectContaining({ code: 'files_too_large' }));
    expect(() =>
      generatedFiles([
        { path: 'a/b', content: '' },
        { path: 'a//b', content: '' },
      ]),
    ).toThrow('written twice');
  });

  it('summarises files and lines for the approval', () => {
    const files = generatedFiles([
      { path: 'a.ts', content: 'one\ntwo\n' },
      { path: 'b.ts', content: 'three' },
    ]);
    expect(diffSummary(files)).toEqual({ files: 2, lines: 3, bytes: 13, paths: ['a.ts', 'b.ts'] });
    expect(files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the deploy input', () => {
  it('is per file when a string names {{path}} or {{content}}, and is filled without evaluating anything', () => {
    const template = { bucket: 'b', key: 'app/{{path}}', text: '{{content}}', tags: ['{{pipelineId}}'] };
    expect(deploysPerFile(template)).toBe(true);
    expect(deploysPerFile({ functionName: 'f', payload: '{{summary}}' })).toBe(false);
    const filled = fillDeployInput(template, {
      pipelineId: 'p1',
      summary: 'S',
      file: { path: 'src/x.ts', content: 'a {{path}} ${process.env.X}' },
    });
    // The content is inserted as it is: a placeholder inside it is not filled again.
    expect(filled).toEqual({ bucket: 'b', key: 'app/src/x.ts', text: 'a {{path}} ${process.env.X}', tags: ['p1'] });
    expect(fillDeployInput({ x: '{{unknown}}' }, { pipelineId: 'p', summary: '' })).toEqual({ x: '{{unknown}}' });
  });
});
