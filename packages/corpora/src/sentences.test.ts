import { describe, expect, it } from 'vitest';
import { splitSentences } from './sentences';

describe('splitSentences', () => {
  it('splits on . ! ? followed by a capitalised word', () => {
    expect(splitSentences('We met. They left! Did they? Yes.')).toEqual(['We met.', 'They left!', 'Did they?', 'Yes.']);
    expect(splitSentences('It rose 3.5 percent. Then it fell.')).toEqual(['It rose 3.5 percent.', 'Then it fell.']);
    expect(splitSentences('No end here')).toEqual(['No end here']);
  });

  it('keeps titles and common abbreviations inside the sentence', () => {
    expect(splitSentences('Mr. Speaker, Mrs. Smith and Dr. Jones arrived. We began.')).toEqual([
      'Mr. Speaker, Mrs. Smith and Dr. Jones arrived.',
      'We began.',
    ]);
    expect(splitSentences('He lives on St. Paul Street. (Gen. Grant did too.) Fine.')).toEqual([
      'He lives on St. Paul Street.',
      '(Gen. Grant did too.)',
      'Fine.',
    ]);
    expect(splitSentences('See No. 5 above. It is clear.')).toEqual(['See No. 5 above.', 'It is clear.']);
    expect(splitSentences('Fruit, etc. The rest.')).toEqual(['Fruit, etc.', 'The rest.']);
  });

  it('handles initials and initialisms like "J. Q. Adams" and "U.S."', () => {
    expect(splitSentences('J. Q. Adams wrote it. U. S. Grant read it.')).toEqual([
      'J. Q. Adams wrote it.',
      'U. S. Grant read it.',
    ]);
    expect(splitSentences('The U.S. Government and the U.N. Security Council agreed.')).toEqual([
      'The U.S. Government and the U.N. Security Council agreed.',
    ]);
    expect(splitSentences('We trade with the U.S. We must do more.')).toEqual([
      'We trade with the U.S.',
      'We must do more.',
    ]);
  });

  it('keeps lower-case continuations, closing quotes and list markers', () => {
    expect(splitSentences('He said "Stop." Then he left.')).toEqual(['He said "Stop."', 'Then he left.']);
    expect(splitSentences('Wait... then go. Done.')).toEqual(['Wait... then go.', 'Done.']);
    expect(splitSentences('Two aims. 2. The second aim. 3. The third.')).toEqual([
      'Two aims.',
      '2. The second aim.',
      '3. The third.',
    ]);
  });

  it('ends sentences at paragraph breaks and collapses whitespace', () => {
    expect(splitSentences('First line\ncontinues here\n\nNew paragraph without a stop\n \nLast')).toEqual([
      'First line continues here',
      'New paragraph without a stop',
      'Last',
    ]);
    expect(splitSentences('  \n\n ')).toEqual([]);
  });
});
