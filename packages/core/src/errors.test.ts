import { describe, expect, it } from 'vitest';
import { closestMatches, didYouMean, formatLocation, isSsbenchError, jsonPointer, SsbenchError } from './errors';

describe('SsbenchError', () => {
  it('formats file, pointer and message on one line', () => {
    const e = new SsbenchError('config', 'expected integer, got "128"', {
      file: 'configs/x.json',
      pointer: '/models/0/options/hidden',
    });
    expect(e.format()).toBe('configs/x.json: /models/0/options/hidden: expected integer, got "128"');
    expect(e.message).toBe(e.format());
    expect(e.reason).toBe('expected integer, got "128"');
    expect(e.code).toBe('config');
    expect(e.exitCode).toBe(2);
    expect(e.name).toBe('SsbenchError');
    expect(e).toBeInstanceOf(Error);
  });

  it('exit codes: 2 for config, data and plugin errors, 3 for backend, 1 for internal', () => {
    expect(new SsbenchError('data', 'x').exitCode).toBe(2);
    expect(new SsbenchError('plugin', 'x').exitCode).toBe(2);
    expect(new SsbenchError('backend', 'x').exitCode).toBe(3);
    expect(new SsbenchError('internal', 'x').exitCode).toBe(1);
  });

  it('formats line and column as file:line:col', () => {
    const e = new SsbenchError('data', 'bad label "x"', { file: 'data/train.tsv', line: 12, column: 5 });
    expect(e.format()).toBe('data/train.tsv:12:5: bad label "x"');
    expect(new SsbenchError('data', 'bad', { line: 3 }).format()).toBe('line 3: bad');
  });

  it('prints the root pointer as "/" and appends a hint', () => {
    const e = new SsbenchError('config', 'missing required property "name"', {
      file: 'c.json',
      pointer: '',
      hint: 'did you mean "nam"?',
    });
    expect(e.format()).toBe('c.json: /: missing required property "name" (did you mean "nam"?)');
  });

  it('lists issues one per line, each with its location', () => {
    const e = new SsbenchError('config', 'invalid config (2 errors)', {
      file: 'c.json',
      issues: [
        { pointer: '/seeds', message: 'expected at least 1 item, got 0' },
        { pointer: '/x', message: 'unknown property "x"', file: 'other.json' },
      ],
    });
    expect(e.format()).toBe(
      ['c.json: invalid config (2 errors)', '  c.json: /seeds: expected at least 1 item, got 0', '  other.json: /x: unknown property "x"'].join(
        '\n',
      ),
    );
    expect(e.issues).toHaveLength(2);
  });

  it('keeps the cause and serialises to JSON', () => {
    const cause = new Error('ENOENT');
    const e = new SsbenchError('config', 'cannot read', { file: 'a.json', cause });
    expect(e.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ code: 'config', exitCode: 2, reason: 'cannot read', file: 'a.json' });
  });

  it('isSsbenchError recognises errors from another copy of the class', () => {
    expect(isSsbenchError(new SsbenchError('plugin', 'x'))).toBe(true);
    const foreign = { name: 'SsbenchError', code: 'config', exitCode: 2, format: () => 'x' };
    expect(isSsbenchError(foreign)).toBe(true);
    expect(isSsbenchError(new Error('x'))).toBe(false);
    expect(isSsbenchError({ name: 'SsbenchError', code: 'nope', exitCode: 2, format: () => '' })).toBe(false);
    expect(isSsbenchError(null)).toBe(false);
  });
});

describe('location helpers', () => {
  it('jsonPointer escapes ~ and /', () => {
    expect(jsonPointer(['models', 0, 'options', 'hidden'])).toBe('/models/0/options/hidden');
    expect(jsonPointer(['a/b', 'c~d'])).toBe('/a~1b/c~0d');
    expect(jsonPointer([])).toBe('');
  });

  it('formatLocation omits unknown parts', () => {
    expect(formatLocation({})).toBe('');
    expect(formatLocation({ pointer: '/a' })).toBe('/a');
    expect(formatLocation({ file: 'f', line: 2 })).toBe('f:2');
  });
});

describe('closestMatches and didYouMean', () => {
  it('finds typos, ignoring case and separators', () => {
    expect(closestMatches('hiden', ['hidden', 'heads', 'layers'])).toEqual(['hidden']);
    expect(closestMatches('learning_rate', ['learningRate', 'lr'])).toEqual(['learningRate']);
    expect(closestMatches('batchsize', ['batchSize', 'seqLen'])).toEqual(['batchSize']);
  });

  it('does not call names close only because of a long shared prefix', () => {
    const known = ['@ssbench/model-bert', '@ssbench/model-gpt', '@ssbench/task-sentiment', '@ssbench/task-dna'];
    expect(closestMatches('@ssbench/model-brt', known)).toEqual(['@ssbench/model-bert']);
    expect(closestMatches('@ssbench/task-sentimnt', known)).toEqual(['@ssbench/task-sentiment']);
    expect(closestMatches('@ssbench/model-t5', known)).toEqual([]);
  });

  it('counts a swap of adjacent characters as one typo', () => {
    expect(closestMatches('gleu', ['gelu', 'relu'])).toEqual(['gelu']);
    expect(closestMatches('lyaers', ['layers'])).toEqual(['layers']);
  });

  it('suggests names that contain the input', () => {
    expect(closestMatches('bert', ['@ssbench/model-bert', '@ssbench/model-gpt'])).toEqual(['@ssbench/model-bert']);
  });

  it('orders by distance and caps the count', () => {
    expect(closestMatches('abcd', ['abcx', 'abxx', 'abcd', 'abce', 'abcf', 'abcg'], 3)).toEqual(['abce', 'abcf', 'abcg']);
    expect(closestMatches('x', [])).toEqual([]);
  });

  it('didYouMean phrases one, two and three suggestions', () => {
    expect(didYouMean([])).toBeUndefined();
    expect(didYouMean(['lr'])).toBe('did you mean "lr"?');
    expect(didYouMean(['a', 'b'])).toBe('did you mean "a" or "b"?');
    expect(didYouMean(['a', 'b', 'c'])).toBe('did you mean "a", "b" or "c"?');
  });
});

describe('SsbenchError filled in later', () => {
  it('message follows location fields set after construction', () => {
    const e = new SsbenchError('plugin', 'plugin package "x" could not be found');
    expect(e.message).toBe('plugin package "x" could not be found');
    e.file ??= 'configs/a.json';
    e.pointer ??= '/models/0/plugin';
    expect(e.message).toBe('configs/a.json: /models/0/plugin: plugin package "x" could not be found');
    expect(e.stack?.split('\n')[0]).toBe('SsbenchError: plugin package "x" could not be found');
  });

  it('assigning message replaces it, as on a plain Error', () => {
    const e = new SsbenchError('config', 'x');
    e.message = 'replaced';
    expect(e.message).toBe('replaced');
  });
});
