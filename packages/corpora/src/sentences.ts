/**
 * A small rule-based English sentence splitter (no model, no data files), good enough to build BERT-style
 * "one sentence per line" pretraining documents.
 *
 * Reference: the input format of google-research/bert `create_pretraining_data.py` (one sentence per line, blank
 * line between documents); the abbreviation and initialism rules follow the usual Punkt-style heuristics
 * (Kiss & Strunk, "Unsupervised Multilingual Sentence Boundary Detection", Computational Linguistics 2006),
 * written here as fixed lists instead of learned ones.
 *
 * Rules, applied at every run of ".", "!" or "?" (plus closing quotes/brackets) that is followed by whitespace:
 *  - "!" and "?" end a sentence when the next word does not start with a lower-case letter.
 *  - "." does not end a sentence when
 *      - the next word starts with a lower-case letter or a digit after "No." / "Nos.";
 *      - the word before it is a title or common abbreviation ("Mr.", "Mrs.", "Dr.", "St.", "Gen.", "Hon.",
 *        "Jan.", "vs.", "i.e.", ...; see ABBREVIATIONS);
 *      - the word before it is the whole sentence so far and a list marker ("2.", "IV.", "a.");
 *      - the word before it is a single-letter initial ("J. Smith", "U. S. Army");
 *      - the word before it is a multi-letter initialism ("U.S.", "D.C.", "U.N.") and the next word is not a common
 *        sentence opener ("The", "We", "It", "This", "But", ... see OPENERS): "the U.S. Government" stays whole,
 *        "... trade with the U.S. We must ..." splits.
 *  - Otherwise "." ends a sentence. Decimal numbers and "e.g." inside a word never match (no whitespace follows).
 * Paragraphs (text separated by blank lines) always end sentences. Whitespace inside a sentence is collapsed.
 */

/** Words (without the final ".") after which a "." is not a sentence end. Case-sensitive. */
const ABBREVIATIONS = new Set([
  'Mr', 'Mrs', 'Ms', 'Messrs', 'Mme', 'Dr', 'Prof', 'Rev', 'Hon', 'St', 'Sr', 'Jr', 'Gen', 'Col', 'Maj', 'Capt',
  'Lt', 'Lieut', 'Sgt', 'Adm', 'Cmdr', 'Gov', 'Sen', 'Rep', 'Pres', 'Sec', 'Supt', 'Mt', 'Ft', 'Ave', 'Jan', 'Feb',
  'Mar', 'Apr', 'Jun', 'Jul', 'Aug', 'Sep', 'Sept', 'Oct', 'Nov', 'Dec', 'vs', 'viz', 'cf', 'approx', 'Co', 'Corp',
  'Inc', 'Ltd', 'Bros', 'Vol', 'Vols', 'Art', 'i.e', 'e.g', 'a.m', 'p.m',
]);

/** Abbreviations that only hold before a number ("No. 5"), since "No." can also end a sentence. */
const NUMBER_ABBREVIATIONS = new Set(['No', 'Nos', 'no', 'nos', 'Nr', 'pp', 'p']);

/** Words that, after an initialism such as "U.S.", signal that a new sentence starts. */
const OPENERS = new Set([
  'A', 'After', 'All', 'Also', 'An', 'And', 'As', 'At', 'But', 'By', 'For', 'From', 'He', 'How', 'However', 'I',
  'If', 'In', 'It', 'Its', 'Last', 'Let', 'My', 'Now', 'Of', 'On', 'Our', 'She', 'So', 'That', 'The', 'Their',
  'There', 'These', 'They', 'This', 'Those', 'To', 'Today', 'Tonight', 'We', 'What', 'When', 'While', 'Yet', 'You',
]);

const BOUNDARY_RE = /([.!?]+)(["'\u2019\u201d)\]]*)\s+/g;
const LIST_MARKER_RE = /^(?:\d{1,3}|[IVXLC]{1,6}|[a-z])$/;
const INITIAL_RE = /^[A-Za-z]$/;
const INITIALISM_RE = /^(?:[A-Za-z]\.)+[A-Za-z]$/;

/** Split one paragraph (no blank lines) into sentences. */
function splitParagraph(paragraph: string): string[] {
  const text = paragraph.replace(/\s+/g, ' ').trim();
  if (text.length === 0) return [];
  const out: string[] = [];
  let start = 0;
  BOUNDARY_RE.lastIndex = 0;
  for (let m = BOUNDARY_RE.exec(text); m !== null; m = BOUNDARY_RE.exec(text)) {
    const end = m.index + m[1].length + m[2].length; // sentence ends after punctuation and closers
    const next = m.index + m[0].length; // first character of the next word
    if (next >= text.length) break;
    if (endsSentence(text, start, m.index, m[1], next)) {
      out.push(text.slice(start, end));
      start = next;
    }
  }
  const rest = text.slice(start).trim();
  if (rest.length > 0) out.push(rest);
  return out;
}

function endsSentence(text: string, start: number, punctAt: number, punct: string, next: number): boolean {
  const nextWordMatch = /^[^\s]*/.exec(text.slice(next, next + 40));
  const nextWord = nextWordMatch === null ? '' : nextWordMatch[0];
  const nextCore = nextWord.replace(/^["'\u2018\u201c([]+/, '');
  const firstNext = nextCore.charAt(0);
  if (firstNext !== '' && firstNext !== firstNext.toUpperCase()) return false; // lower-case continuation
  if (punct !== '.') return true; // "!", "?", "...", "?!"
  const before = text.lastIndexOf(' ', punctAt - 1);
  const word = text.slice(before + 1, punctAt).replace(/^["'\u2018\u201c([]+/, '');
  if (word.length === 0) return true;
  if (before + 1 <= start && LIST_MARKER_RE.test(word)) return false; // "2. The duty ..." is one sentence
  if (ABBREVIATIONS.has(word)) return false;
  if (NUMBER_ABBREVIATIONS.has(word) && /^[0-9]/.test(nextCore)) return false;
  if (INITIAL_RE.test(word)) return false;
  if (INITIALISM_RE.test(word)) return OPENERS.has(nextCore.replace(/[^A-Za-z]+$/, ''));
  return true;
}

/**
 * Split `text` into sentences: paragraphs (separated by blank lines) first, then the rules in this file's header.
 * Returns trimmed, non-empty sentences with whitespace collapsed.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n[ \t\r\f\v]*\n/)) {
    for (const s of splitParagraph(paragraph)) out.push(s);
  }
  return out;
}
